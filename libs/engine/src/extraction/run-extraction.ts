// The extraction part of an audit: run each requested extraction attack against the target within the query
// budget, measure the stolen surrogates (extraction-metrics.ts), optionally re-run each attack as if the API
// answered less (the output-policy what-if), and build one ExtractionFinding per attack. runAudit calls
// runExtractionAttacks once, after the membership attacks.

import { clopperPearson } from '../metrics/clopper-pearson';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { deriveSeed, SeededRandom } from '../random/seeded-random';
import { severityOfScore } from '../risk/severity';
import {
  answersLabelsOnly,
  applyOutputPolicy,
  formatOutputPolicy,
  type OutputPolicy,
  OutputPolicyTarget,
} from '../targets/output-policy';
import type { MlpArchitecture, MlpTrainerKind, MlpWeights } from '../training/mlp';
import type {
  ExtractionCost,
  ExtractionFinding,
  ExtractionPolicyOutcome,
  ExtractionWhatIf,
  LabeledDataset,
  TargetModel,
  TargetOutputs,
} from '../types';
import {
  type ExtractionAttack,
  type FeatureRange,
  featureRangeOf,
  labelsOf,
  queryLadder,
  uniformRows,
} from './extraction-attack';
import {
  constantGuessFidelity,
  type ExtractionEvaluation,
  extractionExposure,
  heldOutFidelity,
  measureExtraction,
} from './extraction-metrics';

/** Queries an extraction attack may spend when the audit names no budget. */
export const DEFAULT_QUERY_BUDGET = 10_000;
/** Uniform random inputs the surrogates are compared with the target on (evaluation, not attack, queries). */
export const UNIFORM_EVALUATION_ROWS = 1000;

export interface ExtractionRunArgs {
  readonly attacks: readonly ExtractionAttack[];
  /** The target as the audit sees it (through the audit's output policy when one applies). */
  readonly target: TargetModel;
  /** The target without any policy: what the what-if re-wraps. Default: `target`. */
  readonly unwrappedTarget?: TargetModel;
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  /** The target's answers on the members and non-members, already queried by the audit. */
  readonly memberOutputs: TargetOutputs;
  readonly nonMemberOutputs: TargetOutputs;
  readonly architecture: MlpArchitecture;
  readonly architectureSource: 'mirrored' | 'requested' | 'default';
  readonly seed: number;
  readonly queryBudget?: number;
  readonly pricePerQuery?: number;
  readonly whatIf?: boolean;
  readonly trainer?: MlpTrainerKind;
  /** Gradient steps per surrogate training (default SURROGATE_TRAINING_STEPS); fewer is faster and weaker. */
  readonly surrogateSteps?: number;
  readonly onProgress?: (fraction: number, message?: string) => void;
  /** Receives each attack's final surrogate, as weights and as ONNX laid out as the target (--surrogate-out). */
  readonly onSurrogate?: (finding: ExtractionFinding, surrogate: StolenSurrogate) => void | Promise<void>;
}

/** A stolen model: its weights and an ONNX file with the target's input and output names and layout. */
export interface StolenSurrogate {
  readonly weights: MlpWeights;
  readonly onnx: Uint8Array;
}

/**
 * The surrogate as ONNX: the target's input name, float [batch, features] in; the target's output name, with
 * probabilities (Softmax) out, or logits when the target outputs logits. A labels-only target's class-index
 * output is not reproduced: the surrogate then answers probabilities under the target's output name.
 */
export function surrogateOnnx(weights: MlpWeights, signature: TargetModel['signature']): Uint8Array {
  return writeMlpOnnx(weights, {
    inputName: signature.inputName,
    outputName: signature.outputName,
    output: signature.outputKind === 'logits' ? 'logits' : 'softmax',
    producerName: 'privaudit extraction surrogate',
  });
}

export async function runExtractionAttacks(args: ExtractionRunArgs): Promise<ExtractionFinding[]> {
  const { members, nonMembers, target } = args;
  const { numClasses: c } = target.signature;
  const budget = args.queryBudget ?? DEFAULT_QUERY_BUDGET;
  const range = featureRangeOf([members, nonMembers, ...(args.population ? [args.population] : [])]);
  const evaluation = await buildEvaluation(args, range);
  const baseline = constantGuessFidelity(evaluation.heldOut.targetLabels, c);
  const heldOutProbabilities = concat(args.memberOutputs.probabilities, args.nonMemberOutputs.probabilities);
  const findings: ExtractionFinding[] = [];
  const runs = args.attacks.length * (args.whatIf ? 1 + whatIfPolicies(c).length : 1);
  let done = 0;
  const progress = (message: string) => (fraction: number, detail?: string) =>
    args.onProgress?.((done + Math.min(1, Math.max(0, fraction))) / runs, detail ? `${message}: ${detail}` : message);

  for (const attack of args.attacks) {
    const seed = deriveSeed(args.seed, hashId(attack.id));
    const architecture = attack.id === 'extraction.equation-solving' ? linear(args.architecture) : args.architecture;
    const runOn = (t: TargetModel, label: string) =>
      attack.run({
        target: t,
        ...(args.population ? { queryPool: args.population } : {}),
        featureRange: range,
        budget,
        ladder: queryLadder(budget),
        architecture,
        seed,
        ...(args.trainer ? { trainer: args.trainer } : {}),
        ...(args.surrogateSteps !== undefined ? { surrogateSteps: args.surrogateSteps } : {}),
        onProgress: progress(`${attack.id}${label}`),
      });
    const run = await runOn(target, '');
    done++;
    const measured = await measureExtraction(run, evaluation);
    const cost = args.pricePerQuery !== undefined ? costOf(args.pricePerQuery, measured) : undefined;

    let whatIf: ExtractionWhatIf | undefined;
    if (args.whatIf) {
      const outcomes: ExtractionPolicyOutcome[] = [
        {
          policy: 'full',
          fidelity: measured.fidelity,
          fidelityInterval: measured.fidelityInterval,
          queriesUsed: measured.queriesUsed,
          queriesTo: measured.queriesTo,
          ...(cost ? { costTo90: cost.to['0.9'] } : {}),
          usefulness: usefulness(heldOutProbabilities, heldOutProbabilities, evaluation.heldOut.trueLabels, c),
        },
      ];
      const base = args.unwrappedTarget ?? target;
      for (const policy of whatIfPolicies(c)) {
        const name = formatOutputPolicy(policy);
        const policyUsefulness = usefulness(
          heldOutProbabilities,
          applyOutputPolicy(policy, { probabilities: heldOutProbabilities }, evaluation.heldOut.nRows, c).probabilities,
          evaluation.heldOut.trueLabels,
          c,
        );
        const wrapped = new OutputPolicyTarget(base, policy);
        if (attack.access === 'scores' && answersLabelsOnly(wrapped.signature, undefined)) {
          outcomes.push({
            policy: name,
            fidelity: null,
            fidelityInterval: null,
            queriesUsed: 0,
            queriesTo: { '0.9': null, '0.95': null, '0.99': null },
            ...(cost ? { costTo90: null } : {}),
            usefulness: policyUsefulness,
            note: `${attack.id} needs confidences; answers with the label alone stop it`,
          });
        } else {
          const policyRun = await runOn(wrapped, ` under ${name}`);
          const m = await measureExtraction(policyRun, evaluation);
          outcomes.push({
            policy: name,
            fidelity: m.fidelity,
            fidelityInterval: m.fidelityInterval,
            queriesUsed: m.queriesUsed,
            queriesTo: m.queriesTo,
            ...(args.pricePerQuery !== undefined ? { costTo90: costOf(args.pricePerQuery, m).to['0.9'] } : {}),
            usefulness: policyUsefulness,
          });
        }
        done++;
      }
      whatIf = summariseWhatIf(attack.id, outcomes);
    }

    const exposure = extractionExposure(measured, baseline);
    const finalSurrogate = run.checkpoints[run.checkpoints.length - 1]?.surrogate;
    const finding: ExtractionFinding = {
      kind: 'extraction',
      attack: attack.id,
      severity: severityOfScore(exposure.score),
      reference: attack.reference,
      summary: summaryOf(attack.id, measured, cost),
      metrics: {
        ...measured,
        queryBudget: budget,
        baselineFidelity: baseline,
        ...(cost ? { cost } : {}),
        surrogate: {
          hidden: [...architecture.hidden],
          activation: architecture.activation,
          source: attack.id === 'extraction.equation-solving' ? 'softmax-linear' : args.architectureSource,
        },
        ...(run.note !== undefined ? { note: run.note } : {}),
        ...(whatIf ? { whatIf } : {}),
      },
      exposure,
    };
    if (finalSurrogate && args.onSurrogate) {
      await args.onSurrogate(finding, {
        weights: finalSurrogate,
        onnx: surrogateOnnx(finalSurrogate, (args.unwrappedTarget ?? target).signature),
      });
    }
    findings.push(finding);
  }
  return findings;
}

/** The what-if policies for a c-class model: top-1, top-3 (when it hides something), rounding to 2-4 decimals, labels. */
export function whatIfPolicies(numClasses: number): OutputPolicy[] {
  const policies: OutputPolicy[] = [{ kind: 'top-k', k: 1 }];
  if (numClasses > 3) policies.push({ kind: 'top-k', k: 3 });
  for (const decimals of [2, 3, 4]) policies.push({ kind: 'round', decimals });
  policies.push({ kind: 'labels' });
  return policies;
}

async function buildEvaluation(args: ExtractionRunArgs, range: FeatureRange): Promise<ExtractionEvaluation> {
  const { members, nonMembers, target } = args;
  const { nFeatures: d, numClasses: c } = target.signature;
  const rng = new SeededRandom(deriveSeed(args.seed, 0x0f1d));
  const uniform = uniformRows(range, UNIFORM_EVALUATION_ROWS, () => rng.next());
  const uniformAnswers = await target.predict(uniform, UNIFORM_EVALUATION_ROWS);
  const nHeld = members.nRows + nonMembers.nRows;
  const features = new Float32Array(nHeld * d);
  features.set(members.features.subarray(0, members.nRows * d));
  features.set(nonMembers.features.subarray(0, nonMembers.nRows * d), members.nRows * d);
  const trueLabels = new Int32Array(nHeld);
  trueLabels.set(members.labels.subarray(0, members.nRows));
  trueLabels.set(nonMembers.labels.subarray(0, nonMembers.nRows), members.nRows);
  return {
    heldOut: {
      features,
      nRows: nHeld,
      trueLabels,
      targetLabels: labelsOf(concat(args.memberOutputs.probabilities, args.nonMemberOutputs.probabilities), nHeld, c),
    },
    uniform: {
      features: uniform,
      nRows: UNIFORM_EVALUATION_ROWS,
      targetLabels: labelsOf(uniformAnswers.probabilities, UNIFORM_EVALUATION_ROWS, c),
    },
  };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function linear(arch: MlpArchitecture): MlpArchitecture {
  return { nFeatures: arch.nFeatures, hidden: [], numClasses: arch.numClasses, activation: 'relu' };
}

function hashId(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) >>> 0;
  return h;
}

function costOf(price: number, m: { queriesUsed: number; queriesTo: ExtractionCost['to'] }): ExtractionCost {
  const at = (q: number | null) => (q === null ? null : q * price);
  return {
    pricePerQuery: price,
    total: m.queriesUsed * price,
    to: { '0.9': at(m.queriesTo['0.9']), '0.95': at(m.queriesTo['0.95']), '0.99': at(m.queriesTo['0.99']) },
  };
}

/** What legitimate callers lose when `shown` replaces the full answers `full` (held-out rows, true labels). */
export function usefulness(
  full: Float32Array,
  shown: Float32Array,
  trueLabels: Int32Array,
  c: number,
): ExtractionPolicyOutcome['usefulness'] {
  const n = trueLabels.length;
  const fullLabels = labelsOf(full, n, c);
  const shownLabels = labelsOf(shown, n, c);
  let same = 0;
  let change = 0;
  let brier = 0;
  let brierFull = 0;
  for (let r = 0; r < n; r++) {
    if (fullLabels[r] === shownLabels[r]) same++;
    let tv = 0;
    for (let j = 0; j < c; j++) {
      const y = trueLabels[r] === j ? 1 : 0;
      const p = full[r * c + j]!;
      const q = shown[r * c + j]!;
      tv += Math.abs(p - q);
      brier += (q - y) ** 2;
      brierFull += (p - y) ** 2;
    }
    change += tv / 2;
  }
  return {
    labelAgreement: same / n,
    labelAgreementInterval: clopperPearson(same, n),
    meanProbabilityChange: change / n,
    brierScore: brier / n,
    brierIncrease: (brier - brierFull) / n,
  };
}

/**
 * Attacker cost of a policy, for ranking: queries to 90% fidelity (never reached = beyond any budget), then
 * the fidelity reached (lower = costlier). An attack the policy stops outright is the costliest.
 */
function costRank(o: ExtractionPolicyOutcome): [number, number] {
  if (o.fidelity === null) return [Infinity, Infinity];
  return [o.queriesTo['0.9'] ?? Infinity, -o.fidelity];
}

/** Descending, with equal infinities equal. */
function descending(x: number, y: number): number {
  return x === y ? 0 : y > x ? 1 : -1;
}

function summariseWhatIf(attack: string, outcomes: ExtractionPolicyOutcome[]): ExtractionWhatIf {
  const ranked = outcomes
    .filter((o) => o.policy !== 'full')
    .sort((a, b) => {
      const [qa, fa] = costRank(a);
      const [qb, fb] = costRank(b);
      return descending(qa, qb) || descending(fa, fb);
    });
  const best = ranked[0] ?? (outcomes[0] as ExtractionPolicyOutcome);
  const full = outcomes[0] as ExtractionPolicyOutcome;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const attackerSide =
    best.fidelity === null
      ? `stops ${attack} outright`
      : `leaves ${attack} at ${pct(best.fidelity)} fidelity after ${best.queriesUsed} queries` +
        (best.queriesTo['0.9'] !== null ? ` (90% after ${best.queriesTo['0.9']} queries` : ' (90% never reached') +
        `; full answers: ${pct(full.fidelity ?? 0)}` +
        (full.queriesTo['0.9'] !== null ? `, 90% after ${full.queriesTo['0.9']})` : ')');
  const u = best.usefulness;
  const callerSide =
    `callers keep the predicted class on ${pct(u.labelAgreement)} of records, ` +
    `the probabilities change by ${pct(u.meanProbabilityChange)} on average (total variation), Brier score +${u.brierIncrease.toFixed(3)}`;
  return {
    outcomes,
    raisesCostMost: best.policy,
    summary: `Answering '${best.policy}' raises the attacker's cost most: it ${attackerSide}; ${callerSide}.`,
  };
}

function summaryOf(
  attack: string,
  m: Awaited<ReturnType<typeof measureExtraction>>,
  cost: ExtractionCost | undefined,
): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (m.curve.length === 0) return `${attack} could not run within its budget of queries.`;
  const q90 = m.queriesTo['0.9'];
  return (
    `${attack}: a copy trained on ${m.queriesUsed} answers of the model agrees with it on ${pct(m.fidelity)} of held-out records ` +
    `(95% CI ${pct(m.fidelityInterval.lower)}-${pct(m.fidelityInterval.upper)}) and on ${pct(m.fidelityUniform)} of random inputs; ` +
    (q90 !== null ? `90% agreement took ${q90} queries` : '90% agreement was not reached') +
    (cost ? ` (the queries cost ${cost.total.toFixed(2)} at ${cost.pricePerQuery} each)` : '') +
    '.'
  );
}

export { heldOutFidelity };
