// The model-free baseline of attribute inference: what someone who holds population data, but not the model,
// infers about a record's sensitive value from its other columns and its label. An imputation model (multinomial
// logistic regression, trained with the engine's trainer) learns the sensitive value from the non-sensitive
// inputs plus the one-hot label, on the population rows whose value is known. Its posterior is also the prior the
// attack's MAP rule multiplies the target's answers with, so the attack's advantage is what the model adds.

import { EngineError, EngineErrorCode } from '../errors';
import type { MlpWeights } from '../training/mlp';
import { mlpForward } from '../training/mlp-forward';
import { trainMlp } from '../training/mlp-trainer';
import type { LabeledDataset } from '../types';
import type { SensitiveAttribute } from './sensitive-attribute';

export const IMPUTATION_TRAINING = { epochs: 60, batchSize: 32, learningRate: 0.02, l2: 1e-3 } as const;
/** Fewer population rows with a known value than this cannot train a baseline worth comparing against. */
export const MIN_IMPUTATION_ROWS = 20;

export interface AttributeImputation {
  /** The most frequent value among the population rows with a known value. */
  readonly priorValue: number;
  /** Value frequencies in the population (Laplace-smoothed), in candidate order. */
  readonly prior: Float64Array;
  /** Posterior over candidates per row of `dataset` (row-major nRows * candidates). */
  posterior(dataset: LabeledDataset): Float64Array;
}

export async function trainAttributeImputation(
  population: LabeledDataset,
  attribute: SensitiveAttribute,
  numClasses: number,
  seed: number,
  populationName = 'population',
): Promise<AttributeImputation> {
  const k = attribute.candidates.length;
  const rows: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < population.nRows; r++) {
    const v = attribute.valueOf(population, r);
    if (v >= 0) {
      rows.push(r);
      values.push(v);
    }
  }
  if (rows.length < MIN_IMPUTATION_ROWS) {
    throw new EngineError(
      EngineErrorCode.TooFewRows,
      `${populationName}: ${rows.length} rows have a known value in sensitive column '${attribute.column}'; the model-free baseline needs at least ${MIN_IMPUTATION_ROWS}`,
      { file: populationName, column: attribute.column },
    );
  }
  const counts = new Float64Array(k).fill(1);
  for (const v of values) counts[v] = (counts[v] as number) + 1;
  const total = counts.reduce((s, c) => s + c, 0);
  const prior = counts.map((c) => c / total);
  let priorValue = 0;
  for (let c = 1; c < k; c++) if ((counts[c] as number) > (counts[priorValue] as number)) priorValue = c;

  const keep = keptInputs(population.nFeatures, attribute);
  const nInputs = keep.length + numClasses;
  const features = baselineInputs(population, rows, keep, numClasses);
  const weights: MlpWeights = await trainMlp(
    { features, labels: Int32Array.from(values), nRows: rows.length, nFeatures: nInputs },
    { nFeatures: nInputs, hidden: [], numClasses: k, activation: 'relu' },
    { ...IMPUTATION_TRAINING, seed, standardize: true },
  );
  return {
    priorValue,
    prior,
    posterior(dataset) {
      const all = Array.from({ length: dataset.nRows }, (_, r) => r);
      const out = mlpForward(weights, baselineInputs(dataset, all, keep, numClasses), dataset.nRows);
      return Float64Array.from(out.probabilities);
    },
  };
}

/** The model inputs that are not the sensitive column's. */
function keptInputs(nFeatures: number, attribute: SensitiveAttribute): number[] {
  const hidden = new Set(attribute.positions);
  return Array.from({ length: nFeatures }, (_, i) => i).filter((i) => !hidden.has(i));
}

/** Non-sensitive inputs then the one-hot true label, for the given rows. */
function baselineInputs(
  ds: LabeledDataset,
  rows: readonly number[],
  keep: readonly number[],
  numClasses: number,
): Float32Array {
  const width = keep.length + numClasses;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    const base = r * ds.nFeatures;
    keep.forEach((f, j) => (out[i * width + j] = ds.features[base + f] as number));
    out[i * width + keep.length + (ds.labels[r] as number)] = 1;
  });
  return out;
}
