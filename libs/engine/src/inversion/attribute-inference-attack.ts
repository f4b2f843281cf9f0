// Attribute inference: recover a record's sensitive value from the model's answers, knowing the rest of the record
// and its true label.
//   Fredrikson, Lantz, Jha, Lin, Page, Ristenpart, "Privacy in Pharmacogenetics: An End-to-End Case Study of
//   Personalized Warfarin Dosing", USENIX Security 2014: hide the sensitive value, try every candidate, keep the
//   maximum a posteriori one: P(true label | record with candidate) x prior(candidate).
//   Mehnaz, Dibbo, Kabir, Li, Bertino, "Are Your Sensitive Attributes Private? Novel Model Inversion Attribute
//   Inference Attacks on Classification Models", USENIX Security 2022: the confidence-score attack and the
//   label-only one (candidates whose predicted label is the true label), and the warning that such attacks must be
//   judged against what imputation without the model achieves.
// The prior is the population's: the imputation model's posterior given the record's other columns and label
// (attribute-imputation.ts), so the attack starts from the baseline and its advantage is what the model adds.
// The baseline is the better of the majority value and the imputation model, on the same records. Leakage is
// extra accuracy on members that neither the baseline nor the non-members show (inversion-severity.ts).

import { clopperPearson } from '../metrics/clopper-pearson';
import { deriveSeed, SeededRandom } from '../random/seeded-random';
import { severityOfScore } from '../risk/severity';
import { EngineError, EngineErrorCode } from '../errors';
import type {
  AttributeInferenceMetrics,
  AttributeSubgroup,
  ExposedRecord,
  InversionFinding,
  LabeledDataset,
} from '../types';
import { type AttributeImputation, trainAttributeImputation } from './attribute-imputation';
import { independentDifferenceInterval, mean, pairedDifferenceInterval } from './difference-intervals';
import type { InversionAttack, InversionAttackContext } from './inversion-attack';
import { ATTRIBUTE_LEAKAGE_ANCHORS, interpolateExposure, inversionBoundConfidence } from './inversion-severity';
import { resolveSensitiveAttribute, type SensitiveAttribute } from './sensitive-attribute';

/** Fewer audited records with a known value than this per side cannot bound an accuracy usefully. */
export const MIN_ATTRIBUTE_RECORDS = 20;
/** Records sent to the target per query batch. */
const ROWS_PER_BATCH = 4096;

/** One side's guesses: per record with a known value. */
interface SideResult {
  readonly rows: number[];
  readonly truth: number[];
  readonly attackCorrect: Uint8Array;
  readonly priorCorrect: Uint8Array;
  readonly imputationCorrect: Uint8Array;
  readonly confidence: Float64Array;
}

export class AttributeInferenceAttack implements InversionAttack {
  readonly id = 'inversion.attribute' as const;
  readonly access = 'labels' as const;
  readonly needsPopulation = true;
  readonly reference =
    'Fredrikson et al., "Privacy in Pharmacogenetics: An End-to-End Case Study of Personalized Warfarin Dosing", USENIX Security 2014; Mehnaz et al., "Are Your Sensitive Attributes Private? Novel Model Inversion Attribute Inference Attacks on Classification Models", USENIX Security 2022';

  async run(ctx: InversionAttackContext): Promise<InversionFinding> {
    const column = ctx.sensitiveColumn;
    if (column === undefined) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${this.id} needs the sensitive column whose values it infers (--sensitive-column)`,
      );
    }
    const population = ctx.population;
    if (!population) {
      throw new EngineError(
        EngineErrorCode.AttackNeedsPopulation,
        `${this.id} trains its model-free baseline on population data; provide a population CSV`,
      );
    }
    const { numClasses, nFeatures } = ctx.target.signature;
    const attribute = resolveSensitiveAttribute(
      column,
      nFeatures,
      [population, ctx.members, ctx.nonMembers],
      ctx.preprocessing,
    );
    ctx.onProgress?.(0, `training the model-free baseline for '${column}'`);
    const imputation = await trainAttributeImputation(population, attribute, numClasses, deriveSeed(ctx.seed, 801));

    const k = attribute.candidates.length;
    const memberRows = knownRows(ctx.members, attribute);
    const nonMemberRows = knownRows(ctx.nonMembers, attribute);
    const withoutValue = ctx.members.nRows - memberRows.length + (ctx.nonMembers.nRows - nonMemberRows.length);
    // Every record with a known value when the budget allows; otherwise as many as it allows, equally from both sides.
    const remaining = ctx.budget.remaining();
    const smaller = Math.min(memberRows.length, nonMemberRows.length);
    const fitsAll = (memberRows.length + nonMemberRows.length) * k <= remaining;
    const perSide = fitsAll ? Math.max(memberRows.length, nonMemberRows.length) : Math.floor(remaining / (2 * k));
    if (smaller < MIN_ATTRIBUTE_RECORDS) {
      throw new EngineError(
        EngineErrorCode.TooFewRows,
        `${this.id}: only ${smaller} members or non-members have a known value in '${column}'; at least ${MIN_ATTRIBUTE_RECORDS} per side are needed`,
        { column },
      );
    }
    if (perSide < MIN_ATTRIBUTE_RECORDS) {
      throw new EngineError(
        EngineErrorCode.BudgetExceeded,
        `${this.id}: the query budget (${remaining} queries left) covers only ${perSide} records per side at ${k} candidates each; at least ${MIN_ATTRIBUTE_RECORDS} per side are needed`,
        { column },
      );
    }
    const rng = new SeededRandom(deriveSeed(ctx.seed, 802));
    const pick = (rows: number[]) =>
      rows.length > perSide
        ? rng
            .shuffle([...rows])
            .slice(0, perSide)
            .sort((a, b) => a - b)
        : rows;

    const queriesBefore = ctx.budget.queriesUsed;
    const variant = ctx.labelsOnly ? 'label-only' : 'confidence';
    ctx.onProgress?.(0.2, `querying ${k} candidates per member`);
    const members = await this.attackSide(ctx, ctx.members, pick(memberRows), attribute, imputation, variant);
    ctx.onProgress?.(0.6, `querying ${k} candidates per non-member`);
    const nonMembers = await this.attackSide(ctx, ctx.nonMembers, pick(nonMemberRows), attribute, imputation, variant);

    const metrics = this.measure(
      ctx,
      attribute,
      variant,
      members,
      nonMembers,
      withoutValue,
      ctx.budget.queriesUsed - queriesBefore,
    );
    const mostExposed = mostExposedMembers(ctx.members, members, ctx.topExposed);
    const score = interpolateExposure(metrics.leakageLowerBound, ATTRIBUTE_LEAKAGE_ANCHORS);
    const severity = severityOfScore(score);
    ctx.onProgress?.(1);
    return {
      kind: 'inversion',
      attack: this.id,
      severity,
      reference: this.reference,
      summary: summarise(metrics, severity),
      metrics,
      exposure: { score, rationale: rationale(metrics) },
      mostExposed,
    };
  }

  private async attackSide(
    ctx: InversionAttackContext,
    dataset: LabeledDataset,
    rows: readonly number[],
    attribute: SensitiveAttribute,
    imputation: AttributeImputation,
    variant: 'confidence' | 'label-only',
  ): Promise<SideResult> {
    const k = attribute.candidates.length;
    const { nFeatures, numClasses } = ctx.target.signature;
    const posterior = imputation.posterior(dataset);
    const n = rows.length;
    const truth = rows.map((r) => attribute.valueOf(dataset, r));
    const attackCorrect = new Uint8Array(n);
    const priorCorrect = new Uint8Array(n);
    const imputationCorrect = new Uint8Array(n);
    const confidence = new Float64Array(n);
    const recordsPerBatch = Math.max(1, Math.floor(ROWS_PER_BATCH / k));
    for (let start = 0; start < n; start += recordsPerBatch) {
      const end = Math.min(n, start + recordsPerBatch);
      const batch = new Float32Array((end - start) * k * nFeatures);
      for (let i = start; i < end; i++) {
        const source = dataset.features.subarray(
          (rows[i] as number) * nFeatures,
          ((rows[i] as number) + 1) * nFeatures,
        );
        for (let c = 0; c < k; c++) {
          const offset = ((i - start) * k + c) * nFeatures;
          batch.set(source, offset);
          attribute.writeCandidate(batch, offset, c);
        }
      }
      const answers = await ctx.budget.predict(
        batch,
        (end - start) * k,
        `${this.id} on sensitive column '${attribute.column}'`,
      );
      for (let i = start; i < end; i++) {
        const r = rows[i] as number;
        const label = dataset.labels[r] as number;
        const prior = posterior.subarray(r * k, (r + 1) * k);
        const scores = new Float64Array(k);
        for (let c = 0; c < k; c++) {
          const p = answers.probabilities.subarray(
            ((i - start) * k + c) * numClasses,
            ((i - start) * k + c + 1) * numClasses,
          );
          if (variant === 'confidence') {
            scores[c] = (p[label] as number) * (prior[c] as number);
          } else {
            scores[c] = argmax(p) === label ? (prior[c] as number) : 0;
          }
        }
        // No candidate reproduces the true label (label-only): the attacker falls back on the prior.
        const total = scores.reduce((s, v) => s + v, 0);
        const used = total > 0 ? scores : Float64Array.from(prior);
        const guess = argmax(used);
        const usedTotal = used.reduce((s, v) => s + v, 0);
        const t = truth[i] as number;
        attackCorrect[i] = guess === t ? 1 : 0;
        priorCorrect[i] = imputation.priorValue === t ? 1 : 0;
        imputationCorrect[i] = argmax(prior) === t ? 1 : 0;
        confidence[i] = usedTotal > 0 ? (used[guess] as number) / usedTotal : 1 / k;
      }
      ctx.onProgress?.(0.2 + (0.4 * end) / n);
    }
    return { rows: [...rows], truth, attackCorrect, priorCorrect, imputationCorrect, confidence };
  }

  private measure(
    ctx: InversionAttackContext,
    attribute: SensitiveAttribute,
    variant: 'confidence' | 'label-only',
    m: SideResult,
    nm: SideResult,
    recordsWithoutValue: number,
    queriesUsed: number,
  ): AttributeInferenceMetrics {
    const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    const cp = (a: Uint8Array) => clopperPearson(count(a), a.length);
    // The baseline is chosen on both sides pooled, so the same rule applies to members and non-members.
    const priorPooled = count(m.priorCorrect) + count(nm.priorCorrect);
    const imputationPooled = count(m.imputationCorrect) + count(nm.imputationCorrect);
    const baselineKind = imputationPooled >= priorPooled ? 'imputation' : 'prior';
    const baseline = (s: SideResult) => (baselineKind === 'imputation' ? s.imputationCorrect : s.priorCorrect);
    const seed = deriveSeed(ctx.seed, 803);
    const advantageCi = pairedDifferenceInterval(m.attackCorrect, baseline(m), seed);
    const nonMemberAdvantageCi = pairedDifferenceInterval(nm.attackCorrect, baseline(nm), seed + 1);
    const memberGapCi = independentDifferenceInterval(m.attackCorrect, nm.attackCorrect, seed + 2);
    // Severity bounds, corrected for multiplicity: two bounds per finding, over every finding of the audit.
    const leakageConfidence = inversionBoundConfidence(2, ctx.attacksCompared);
    const advantageLower = pairedDifferenceInterval(m.attackCorrect, baseline(m), seed, 2 * leakageConfidence - 1)[0];
    const gapLower = independentDifferenceInterval(
      m.attackCorrect,
      nm.attackCorrect,
      seed + 2,
      2 * leakageConfidence - 1,
    )[0];
    const bySensitiveValue: AttributeSubgroup[] = attribute.candidates.map((value, c) => {
      const sel = (s: SideResult, a: Uint8Array) =>
        Uint8Array.from(s.truth.flatMap((t, i) => (t === c ? [a[i] as number] : [])));
      const ma = sel(m, m.attackCorrect);
      const na = sel(nm, nm.attackCorrect);
      const mb = sel(m, baseline(m));
      return {
        value,
        nMembers: ma.length,
        nNonMembers: na.length,
        memberAccuracy: mean(ma),
        memberAccuracyInterval: cp(ma),
        nonMemberAccuracy: mean(na),
        nonMemberAccuracyInterval: cp(na),
        baselineAccuracy: mean(mb),
        baselineAccuracyInterval: cp(mb),
        advantage: mean(ma) - mean(mb),
      };
    });
    const pooled = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);
    return {
      type: 'attribute-inference',
      sensitiveColumn: attribute.column,
      variant,
      candidates: attribute.candidates.length,
      memberAccuracy: mean(m.attackCorrect),
      memberAccuracyInterval: cp(m.attackCorrect),
      nonMemberAccuracy: mean(nm.attackCorrect),
      nonMemberAccuracyInterval: cp(nm.attackCorrect),
      baselineAccuracy: mean(baseline(m)),
      baselineAccuracyInterval: cp(baseline(m)),
      nonMemberBaselineAccuracy: mean(baseline(nm)),
      nonMemberBaselineAccuracyInterval: cp(baseline(nm)),
      baselineKind,
      priorAccuracy: mean(pooled(m.priorCorrect, nm.priorCorrect)),
      priorAccuracyInterval: cp(pooled(m.priorCorrect, nm.priorCorrect)),
      imputationAccuracy: mean(pooled(m.imputationCorrect, nm.imputationCorrect)),
      imputationAccuracyInterval: cp(pooled(m.imputationCorrect, nm.imputationCorrect)),
      advantage: mean(m.attackCorrect) - mean(baseline(m)),
      advantageCi,
      nonMemberAdvantage: mean(nm.attackCorrect) - mean(baseline(nm)),
      nonMemberAdvantageCi,
      memberGap: mean(m.attackCorrect) - mean(nm.attackCorrect),
      memberGapCi,
      leakageLowerBound: Math.min(advantageLower, gapLower),
      leakageConfidence,
      nMembers: m.rows.length,
      nNonMembers: nm.rows.length,
      recordsWithoutValue,
      queriesUsed,
      bySensitiveValue,
    };
  }
}

function knownRows(dataset: LabeledDataset, attribute: SensitiveAttribute): number[] {
  const rows: number[] = [];
  for (let r = 0; r < dataset.nRows; r++) if (attribute.valueOf(dataset, r) >= 0) rows.push(r);
  return rows;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** Members whose value the attack recovered, most confident first: row ids and confidences only. */
function mostExposedMembers(members: LabeledDataset, side: SideResult, top: number): ExposedRecord[] {
  const correct = side.rows.map((r, i) => ({ r, i })).filter(({ i }) => side.attackCorrect[i] === 1);
  correct.sort((a, b) => (side.confidence[b.i] as number) - (side.confidence[a.i] as number) || a.r - b.r);
  return correct.slice(0, top).map(({ r, i }, rank) => ({
    rowId: members.rowIds[r] as string,
    score: side.confidence[i] as number,
    rank: rank + 1,
  }));
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

function summarise(m: AttributeInferenceMetrics, severity: string): string {
  return (
    `Inferring '${m.sensitiveColumn}' from the model's ${m.variant === 'label-only' ? 'labels' : 'confidences'}: ` +
    `${pct(m.memberAccuracy)} correct on members, ${pct(m.nonMemberAccuracy)} on non-members, against ` +
    `${pct(m.baselineAccuracy)} for a ${m.baselineKind === 'prior' ? 'majority-value guess' : 'model-free imputation'} ` +
    `on the same members: advantage ${pts(m.advantage)} points (95% CI ${pts(m.advantageCi[0])} to ${pts(m.advantageCi[1])}), ` +
    `member gap ${pts(m.memberGap)} points (95% CI ${pts(m.memberGapCi[0])} to ${pts(m.memberGapCi[1])}). Severity ${severity}.`
  );
}

function rationale(m: AttributeInferenceMetrics): string {
  const conf = (100 * m.leakageConfidence).toFixed(1);
  return m.leakageLowerBound > 0
    ? `the model recovers '${m.sensitiveColumn}' for training members at least ${pts(m.leakageLowerBound)} points more often than both the model-free baseline and non-members (${conf}% lower bound)`
    : `no accuracy on training members beyond the model-free baseline and non-members could be established for '${m.sensitiveColumn}' (${conf}% lower bound ${pts(m.leakageLowerBound)} points)`;
}
