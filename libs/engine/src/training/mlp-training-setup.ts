// What every MLP trainer shares, whatever runs the arithmetic: the options, the checks, which rows a pass
// visits and how big a pool batch is, the shuffling seed, per-model standardisation and the seeded Glorot
// initialisation. Two trainers that use these start from the same weights and visit the same batches.
import { EngineError, EngineErrorCode } from '../errors';
import { SeededRandom } from '../random/seeded-random';
import type { MlpArchitecture, MlpTrainingOptions, TrainingData, TrainingFit } from './mlp';

export interface MlpSubsetTrainingOptions extends Omit<MlpTrainingOptions, 'seed' | 'onEpoch'> {
  /** One seed per model: model m's initial weights come from seeds[m] alone. */
  readonly seeds: readonly number[];
  /** Epoch-level callback with the mean loss over the K models. */
  readonly onEpoch?: (epoch: number, meanLoss: number) => void;
  readonly signal?: AbortSignal;
}

export const SHUFFLE_SALT = 0x5eed;
/** Pool rows per forward pass when measuring the fit of the models on their IN rows. */
export const FIT_CHUNK_ROWS = 2048;
/** Accuracy is compared with this slack: one row more or less wrong must not decide a stop on large sets. */
const FIT_ACCURACY_SLACK = 0.005;

/** A model fits as tightly as the goal: loss at most the goal's and accuracy at least the goal's (less a slack). */
export function meetsFit(loss: number, accuracy: number, goal: TrainingFit): boolean {
  return loss <= goal.loss && accuracy >= goal.accuracy - FIT_ACCURACY_SLACK;
}
/** Features with (near) zero spread on a model's training rows are centred but not scaled. */
export const MIN_STD = 1e-6;

export interface SubsetTrainingPlan {
  /** Pool rows at least one model trains on, in pool order; rows no model trains on are never visited. */
  readonly active: number[];
  /** Per model: how many pool rows are IN. */
  readonly inCount: Float64Array;
  /** Pool rows per step: about batchSize IN rows for each model. */
  readonly poolBatch: number;
  readonly stepsPerEpoch: number;
}

export function planSubsetTraining(
  pool: TrainingData,
  inMask: Uint8Array,
  k: number,
  batchSize: number,
): SubsetTrainingPlan {
  const n = pool.nRows;
  const inCount = new Float64Array(k);
  const active: number[] = [];
  for (let i = 0; i < n; i++) {
    let any = false;
    for (let m = 0; m < k; m++) {
      if (inMask[m * n + i]) {
        inCount[m] = (inCount[m] as number) + 1;
        any = true;
      }
    }
    if (any) active.push(i);
  }
  const meanIn = inCount.reduce((s, x) => s + x, 0) / k;
  const poolBatch = Math.max(1, Math.round((batchSize * active.length) / meanIn));
  return { active, inCount, poolBatch, stepsPerEpoch: Math.ceil(active.length / poolBatch) };
}

export function validateSubsetTraining(
  pool: TrainingData,
  inMask: Uint8Array,
  arch: MlpArchitecture,
  opts: MlpSubsetTrainingOptions,
): void {
  const k = opts.seeds.length;
  if (k < 1) throw new EngineError(EngineErrorCode.InvalidOption, 'at least one model seed is required');
  if (pool.nFeatures !== arch.nFeatures) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `training data has ${pool.nFeatures} features, the architecture ${arch.nFeatures}`,
    );
  }
  if (inMask.length !== k * pool.nRows) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `inMask has length ${inMask.length}, expected ${k} x ${pool.nRows}`,
    );
  }
  if (!(opts.epochs >= 1 && opts.batchSize >= 1 && opts.learningRate > 0)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      'training needs epochs >= 1, batchSize >= 1 and learningRate > 0',
    );
  }
  for (let m = 0; m < k; m++) {
    if (!inMask.subarray(m * pool.nRows, (m + 1) * pool.nRows).includes(1)) {
      throw new EngineError(EngineErrorCode.TooFewRows, `model ${m} has no training rows`);
    }
  }
  if (pool.targets !== undefined && pool.targets.length < pool.nRows * arch.numClasses) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `soft training targets hold ${pool.targets.length} values, expected ${pool.nRows} x ${arch.numClasses}`,
    );
  }
  for (let i = 0; i < pool.nRows; i++) {
    const label = pool.labels[i] as number;
    if (!(label >= 0 && label < arch.numClasses)) {
      throw new EngineError(
        EngineErrorCode.LabelOutOfRange,
        `training row ${i + 1} has a label outside [0, ${arch.numClasses})`,
        { row: i + 1 },
      );
    }
  }
}

/** Per-model mean and 1/std of each feature over that model's IN rows, [k * d]. */
export function subsetStandardization(pool: TrainingData, inMask: Uint8Array, k: number, enabled: boolean) {
  const d = pool.nFeatures;
  const n = pool.nRows;
  const mean = new Float64Array(k * d);
  const invStd = new Float64Array(k * d).fill(1);
  if (!enabled) return { mean, invStd };
  for (let m = 0; m < k; m++) {
    const sum = new Float64Array(d);
    const sumSq = new Float64Array(d);
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (!inMask[m * n + i]) continue;
      count++;
      for (let j = 0; j < d; j++) {
        const v = pool.features[i * d + j] as number;
        sum[j] = (sum[j] as number) + v;
        sumSq[j] = (sumSq[j] as number) + v * v;
      }
    }
    for (let j = 0; j < d; j++) {
      const mu = (sum[j] as number) / count;
      const variance = Math.max(0, (sumSq[j] as number) / count - mu * mu);
      const std = Math.sqrt(variance);
      mean[m * d + j] = mu;
      invStd[m * d + j] = std > MIN_STD ? 1 / std : 1;
    }
  }
  return { mean, invStd };
}

export interface InitLayer {
  weights: Float32Array;
  bias: Float32Array;
}

/** Glorot-uniform kernels and zero biases, drawn from the model's own seed only. */
export function glorotInit(widths: readonly number[], seed: number): InitLayer[] {
  const rng = new SeededRandom(seed);
  const layers: InitLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const fanOut = widths[l + 1] as number;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const weights = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < weights.length; i++) weights[i] = (rng.next() * 2 - 1) * limit;
    layers.push({ weights, bias: new Float32Array(fanOut) });
  }
  return layers;
}
