// How well a stolen surrogate copies the target (Tramèr et al. 2016; Orekondy et al. 2019; Jagielski et al.,
// "High Accuracy and High Fidelity Extraction of Neural Networks", USENIX Security 2020, for the fidelity /
// accuracy distinction): fidelity = label agreement with the target on held-out records (the audited members and
// non-members, never sent as attack queries) and on uniform random inputs in the data's range; the surrogate's
// accuracy on the held-out true labels; the fidelity-versus-queries curve and the queries needed for 90, 95
// and 99% fidelity. Every proportion carries a 95% Clopper-Pearson interval.
// The exposure rule (docs/risk-model.md, "Extraction findings"; OWASP ML05 model theft) is here too.

import { clopperPearson } from '../metrics/clopper-pearson';
import type { ExtractionMetrics, FamilyExposure, FidelityPoint, Interval } from '../types';
import type { MlpWeights } from '../training/mlp';
import type { ExtractionRun } from './extraction-attack';
import { surrogateLabels } from './surrogate';

export const FIDELITY_LEVELS = ['0.9', '0.95', '0.99'] as const;

/** What a surrogate is measured on: held-out rows with true and target labels, uniform rows with target labels. */
export interface ExtractionEvaluation {
  readonly heldOut: {
    readonly features: Float32Array;
    readonly nRows: number;
    readonly trueLabels: Int32Array;
    readonly targetLabels: Int32Array;
  };
  readonly uniform: { readonly features: Float32Array; readonly nRows: number; readonly targetLabels: Int32Array };
}

async function agreement(
  weights: MlpWeights,
  features: Float32Array,
  nRows: number,
  labels: Int32Array,
): Promise<number> {
  const predicted = await surrogateLabels(weights, features, nRows);
  let k = 0;
  for (let i = 0; i < nRows; i++) if (predicted[i] === labels[i]) k++;
  return k;
}

/** Fidelity on held-out data with its interval. */
export async function heldOutFidelity(
  weights: MlpWeights,
  evaluation: ExtractionEvaluation,
): Promise<{ fidelity: number; interval: Interval }> {
  const { features, nRows, targetLabels } = evaluation.heldOut;
  const k = await agreement(weights, features, nRows, targetLabels);
  return { fidelity: k / nRows, interval: clopperPearson(k, nRows) };
}

/** The metrics of one extraction run, from its checkpoints (the last is the final surrogate). */
export async function measureExtraction(
  run: ExtractionRun,
  evaluation: ExtractionEvaluation,
): Promise<
  Pick<
    ExtractionMetrics,
    | 'fidelity'
    | 'fidelityInterval'
    | 'fidelityUniform'
    | 'fidelityUniformInterval'
    | 'surrogateAccuracy'
    | 'surrogateAccuracyInterval'
    | 'queriesUsed'
    | 'queriesTo'
    | 'curve'
    | 'nHeldOut'
    | 'nUniform'
  >
> {
  const { heldOut, uniform } = evaluation;
  const curve: FidelityPoint[] = [];
  for (const cp of run.checkpoints) {
    const { fidelity, interval } = await heldOutFidelity(cp.surrogate, evaluation);
    curve.push({ queries: cp.queries, fidelity, fidelityInterval: interval });
  }
  const final = run.checkpoints[run.checkpoints.length - 1]?.surrogate;
  const count = async (labels: Int32Array, features: Float32Array, n: number) =>
    final ? agreement(final, features, n, labels) : 0;
  const kHeld = await count(heldOut.targetLabels, heldOut.features, heldOut.nRows);
  const kUniform = await count(uniform.targetLabels, uniform.features, uniform.nRows);
  const kAccuracy = await count(heldOut.trueLabels, heldOut.features, heldOut.nRows);
  return {
    fidelity: kHeld / heldOut.nRows,
    fidelityInterval: clopperPearson(kHeld, heldOut.nRows),
    fidelityUniform: uniform.nRows > 0 ? kUniform / uniform.nRows : 0,
    fidelityUniformInterval: clopperPearson(kUniform, uniform.nRows),
    surrogateAccuracy: kAccuracy / heldOut.nRows,
    surrogateAccuracyInterval: clopperPearson(kAccuracy, heldOut.nRows),
    queriesUsed: run.queriesUsed,
    queriesTo: queriesTo(curve),
    curve,
    nHeldOut: heldOut.nRows,
    nUniform: uniform.nRows,
  };
}

/** The fewest queries at which the curve's fidelity reached each level; null where it never did. */
export function queriesTo(curve: readonly FidelityPoint[]): ExtractionMetrics['queriesTo'] {
  const first = (level: number) => curve.find((p) => p.fidelity >= level)?.queries ?? null;
  return { '0.9': first(0.9), '0.95': first(0.95), '0.99': first(0.99) };
}

/** Share of the most frequent target label on held-out data: the fidelity of a constant guess. */
export function constantGuessFidelity(targetLabels: Int32Array, numClasses: number): number {
  const counts = new Float64Array(numClasses);
  for (const y of targetLabels) counts[y] = counts[y]! + 1;
  return targetLabels.length > 0 ? Math.max(...counts) / targetLabels.length : 1;
}

/**
 * The documented exposure rule for extraction findings (docs/risk-model.md): agreement beyond a constant guess,
 * on the fidelity's 95% lower bound, kappa_lo = (fidelity_lo - baseline) / (1 - baseline), scored 100 kappa_lo;
 * a copy that never reached 90% fidelity within the budget is at most high (84).
 */
export function extractionExposure(
  metrics: Pick<ExtractionMetrics, 'fidelityInterval' | 'queriesTo' | 'queriesUsed'>,
  baseline: number,
): FamilyExposure {
  const lower = metrics.fidelityInterval.lower;
  const kappa = baseline >= 1 ? 0 : Math.max(0, (lower - baseline) / (1 - baseline));
  let score = Math.round(100 * kappa);
  const reached90 = metrics.queriesTo['0.9'];
  if (reached90 === null) score = Math.min(score, 84);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rationale =
    baseline >= 1
      ? 'The target names one class for every held-out record: a copy agrees with it trivially and steals nothing.'
      : `The stolen copy agrees with the target on at least ${pct(lower)} of held-out records (95% lower bound), ` +
        `against ${pct(baseline)} for a constant guess: ${Math.round(100 * kappa)}% of the agreement beyond chance` +
        (reached90 !== null
          ? `; 90% fidelity took ${reached90} queries.`
          : `; 90% fidelity was not reached within ${metrics.queriesUsed} queries, so the rating is at most high.`);
  return { score, rationale };
}
