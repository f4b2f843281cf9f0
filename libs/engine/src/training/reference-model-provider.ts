// Reference models for LiRA (Carlini et al., "Membership Inference Attacks From First Principles",
// S&P 2022) and RMIA (Zarifzadeh, Liu, Shokri, "Low-Cost High-Power Membership Inference Attacks",
// ICML 2024): K MLPs trained on random halves of a record pool (population rows, then members, then
// non-members). 'online' uses Carlini et al.'s balanced split: every pool record is IN for exactly K/2
// models. 'offline' only ever trains on population rows. Models are cached by a key that covers the data,
// architecture, training options, mode, seed and K, so re-audits and resumed runs train nothing twice.
import { createHash } from 'node:crypto';
import { readMlpFromOnnx } from '../onnx/mlp-onnx-writer';
import { SeededRandom, deriveSeed } from '../random/seeded-random';
import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset, ReferenceMode, ReferenceModelProvider, ReferenceModelSet, TargetOutputs } from '../types';
import type { MlpArchitecture, MlpTrainerKind, MlpTrainingOptions, MlpWeights, TrainingData, TrainingFit } from './mlp';
import { recordDigest } from '../data/membership-split-checks';
import { concatRows } from '../data/select-rows';
import { DEFAULT_MLP_TRAINER } from './mlp-trainer';
import { defaultTrainingParallelism, trainGroupsInParallel } from './parallel-training';
import { StackedMlpInference } from './onnx-trainer/onnx-mlp-inference';
import { measureFit, rowsOfMask } from './target-fit';
import type { ReferenceModelStore } from './reference-model-store';

export type { ReferenceModelStore } from './reference-model-store';
export { FileReferenceModelStore } from './reference-model-store';

export type ReferenceTrainingOptions = Omit<MlpTrainingOptions, 'seed' | 'onEpoch'>;

export interface AutoEpochs {
  readonly targetSha256: string;
  readonly maxEpochs: number;
  /** Needed to train; planning keys works without it. */
  readonly fit?: TrainingFit;
}

/** The cap on 'auto' reference epochs: targets in the wild train for 100-300 epochs. */
export const AUTO_REFERENCE_MAX_EPOCHS = 300;

/** A target-like fit for small tabular MLPs: enough epochs to memorise, as an overfit target does. */
export const DEFAULT_REFERENCE_TRAINING: ReferenceTrainingOptions = {
  epochs: 40,
  batchSize: 64,
  learningRate: 2e-3,
  l2: 0,
  standardize: true,
};

/** Used when neither an architecture nor a readable target MLP is given. */
export const DEFAULT_REFERENCE_HIDDEN: readonly number[] = [64];

/**
 * Models trained together in one graph. Fixed, and part of the cache key, because a model's weights
 * depend on its graph-mates' shared batch order: a fixed grouping keeps a resumed run bit-identical.
 * Measured on the onnxruntime trainer with bench:mia-training (2026-11-26, K = 16 on random halves,
 * 30 epochs, batch 64, CPU seconds per model in one thread; the shared 2-core machine at load average 18-20):
 * digits hidden [64] (4,736 MACs/row) 0.039 in graphs of 1, 0.031 of 2, 0.029 of 4, 0.022 of 8; satellite
 * hidden [64] (2,688) 0.061, 0.062, 0.057, 0.045. Graphs of 8 are the cheapest for small models. (It was 4
 * on the tfjs trainer; models cached in graphs of 4 are not reused, the key holds the group size.)
 */
export const MODELS_PER_GRAPH = 8;

/**
 * Above this many multiply-adds per row a model trains alone in its graph. A graph of several models
 * computes every pool row for every model (each model uses about half of them), which pays only while
 * onnxruntime's per-node cost, not arithmetic, dominates. bench:mia-training on the onnxruntime trainer (same
 * run as MODELS_PER_GRAPH), CPU s per model in graphs of 1 / 2 / 4 / 8: satellite hidden [128] (5,376
 * MACs/row) 0.077 / 0.091 / 0.082 / 0.085; digits hidden [128] (9,472) 0.044 / 0.047 / 0.039 / 0.045 (no
 * clear gain); digits hidden [256] (18,944) 0.063 / 0.064 / 0.075 / 0.082 and satellite hidden [256]
 * (10,752) 0.121 / 0.138 / 0.157 / 0.176 (alone is cheapest). Kept at 5,000, between 4,736 (grouping pays)
 * and 5,376 (it does not).
 */
export const MAX_GROUPED_MACS_PER_ROW = 5_000;

/**
 * Models per graph for K models: MODELS_PER_GRAPH for small models, 1 for large ones (see
 * MAX_GROUPED_MACS_PER_ROW), and at least two groups from K = 2 on so both cores get one
 * (parallel-training.ts). A function of K and the architecture alone, never of the machine, so every
 * machine trains the same models for the same inputs.
 */
export function referenceGroupSize(k: number, architecture?: MlpArchitecture): number {
  if (architecture && macsPerRow(architecture) > MAX_GROUPED_MACS_PER_ROW) return 1;
  return Math.max(1, Math.min(MODELS_PER_GRAPH, Math.ceil(k / 2)));
}

function macsPerRow(architecture: MlpArchitecture): number {
  const widths = [architecture.nFeatures, ...architecture.hidden, architecture.numClasses];
  let macs = 0;
  for (let l = 0; l + 1 < widths.length; l++) macs += (widths[l] as number) * (widths[l + 1] as number);
  return macs;
}

/**
 * onnxruntime trainer, CPU seconds of one reference model on one thread: fixed (graph, session) + per step
 * (onnxruntime's per-node cost dominates narrow models) + per (training row x epoch x multiply-add per row).
 * Calibrated from CPU times (not wall times: the development machine's 2 cores are shared) measured on
 * 2026-11-26 (load average 12-20), CPU s per model: bench:training, 10,000 rows x 10 epochs, batch 64:
 * 16-256-128-26 0.63 (these constants: 0.70), 784-256-128-10 2.43 (3.04); bench:mia-training, K = 16 in
 * graphs of 1, 30 epochs: digits [64] 0.039 (0.066), [256] 0.063 (0.090), satellite [64] 0.061 (0.13),
 * [256] 0.121 (0.17). Every estimate above its measurement: one that guards a budget should not undershoot.
 */
export const ONNX_SECONDS_PER_ROW_EPOCH_MAC = 1.2e-10;
export const ONNX_SECONDS_PER_STEP = 1.2e-4;
export const ONNX_SECONDS_PER_MODEL_FIXED = 0.03;
/**
 * Throughput of P training threads over one thread is 1 + (P - 1) * this: bench:training measured two
 * processes at 2.04x one at load average 1.3-2.5 and 1.91x at 4-5 (earlier runs of this trainer), and, at load
 * average 12-20 where no core is idle, CPU time per model 0.61 s in a pair against 0.57 s alone (1.87x if both
 * cores were free); taken lower, 1.8x, since the cores are rarely idle.
 */
export const PARALLEL_EFFICIENCY = 0.8;

export interface ReferenceCostEstimate {
  readonly modelsToTrain: number;
  /** Wall-clock seconds, the groups of models spread over `parallelism` threads. */
  readonly estimatedSeconds: number;
}

export function estimateReferenceCost(args: {
  k: number;
  /** Pool rows; each model trains on half of them unless rowsPerModel says otherwise. */
  nRows: number;
  /** Training rows of each model (see referenceTrainingRows). */
  rowsPerModel?: number;
  architecture: MlpArchitecture;
  epochs: number;
  /** Default DEFAULT_REFERENCE_TRAINING.batchSize. */
  batchSize?: number;
  /** Default DEFAULT_MLP_TRAINER (the only one). */
  trainer?: MlpTrainerKind;
  /**
   * Threads training model groups at once; default what the provider uses (trainGroupsInParallel's default,
   * defaultTrainingParallelism()), at most one per group of referenceGroupSize(k, architecture) models.
   */
  parallelism?: number;
}): ReferenceCostEstimate {
  const rows = args.rowsPerModel ?? args.nRows / 2;
  const units = rows * args.epochs * macsPerRow(args.architecture);
  const steps = Math.ceil(rows / (args.batchSize ?? DEFAULT_REFERENCE_TRAINING.batchSize)) * args.epochs;
  const perModel =
    ONNX_SECONDS_PER_MODEL_FIXED + ONNX_SECONDS_PER_STEP * steps + ONNX_SECONDS_PER_ROW_EPOCH_MAC * units;
  const groups = Math.ceil(args.k / referenceGroupSize(args.k, args.architecture));
  const threads = Math.max(1, Math.min(args.parallelism ?? defaultTrainingParallelism(), groups));
  const speedup = 1 + (threads - 1) * PARALLEL_EFFICIENCY;
  return { modelsToTrain: args.k, estimatedSeconds: (args.k * perModel) / speedup };
}

export function assertWithinBudget(estimate: ReferenceCostEstimate, maxSeconds: number): void {
  if (estimate.estimatedSeconds > maxSeconds) {
    throw new EngineError(
      EngineErrorCode.BudgetExceeded,
      `training ${estimate.modelsToTrain} reference models is estimated at ${Math.ceil(estimate.estimatedSeconds)} s, over the budget of ${maxSeconds} s`,
    );
  }
}

export interface ReferenceModelProviderArgs {
  /** The target's ONNX bytes: when it is a plain MLP, reference models mirror its architecture. */
  modelBytes?: Uint8Array;
  architecture?: MlpArchitecture;
  /** The target's class count (its signature): the default architecture's output width. Default: labels seen + 1. */
  numClasses?: number;
  population: LabeledDataset;
  members: LabeledDataset;
  nonMembers: LabeledDataset;
  k: number;
  seed: number;
  training?: Partial<MlpTrainingOptions>;
  /**
   * Training rows of each reference model: the size of the target's training set (Carlini et al. and
   * Zarifzadeh et al. train references on sets of that size). Default: the number of members.
   */
  trainSize?: number;
  /**
   * Train each model until it fits its own training rows as tightly as the target fits its members, at most
   * maxEpochs epochs (reference epochs 'auto'). `fit` is the target's measured fit (target-fit.ts); the
   * cache key holds the target's sha256 instead, so keys can be planned before the target is queried.
   */
  autoEpochs?: AutoEpochs;
  store?: ReferenceModelStore;
  onProgress?: (done: number, total: number, message?: string) => void;
  signal?: AbortSignal;
  /** Worker threads that train model groups; 1 = in this thread. Default: see trainGroupsInParallel. */
  parallelism?: number;
  /** Models trained together in one graph; default referenceGroupSize(k, architecture). Changes the models (cache key). */
  modelsPerGraph?: number;
}

export function createReferenceModelProvider(args: ReferenceModelProviderArgs): ReferenceModelProvider {
  if (!Number.isInteger(args.k) || args.k < 1) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the number of reference models must be a positive integer, got ${args.k}`,
    );
  }
  if (args.modelsPerGraph !== undefined && !(Number.isInteger(args.modelsPerGraph) && args.modelsPerGraph >= 1)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `models per graph must be a positive integer, got ${args.modelsPerGraph}`,
    );
  }
  const pool = buildPool(args.population, args.members, args.nonMembers);
  const architecture = referenceArchitecture(args, pool);
  const training = referenceTraining(args);
  const sets = new Map<ReferenceMode, Promise<ReferenceModelSet>>();
  return {
    obtain(mode: ReferenceMode): Promise<ReferenceModelSet> {
      let set = sets.get(mode);
      if (!set) {
        set = buildReferenceSet(mode, pool, architecture, training, args);
        // A failed or aborted run is not memoised: a retry trains again (and resumes from the store).
        void set.catch(() => sets.delete(mode));
        sets.set(mode, set);
      }
      return set;
    },
  };
}

interface RecordPool extends TrainingData {
  readonly nPopulation: number;
  /** Per pool record, the first pool record with the same content (features and label); itself when unique. */
  readonly sameContent: Int32Array;
  /** sha256 of the pool's features and labels as the models see them. */
  readonly contentHash: string;
}

function buildPool(population: LabeledDataset, members: LabeledDataset, nonMembers: LabeledDataset): RecordPool {
  const parts = [population, members, nonMembers];
  const nFeatures = members.nFeatures;
  for (const [name, part] of [
    ['population', population],
    ['non-members', nonMembers],
  ] as const) {
    if (part.nRows > 0 && part.nFeatures !== nFeatures) {
      throw new EngineError(
        EngineErrorCode.ModelShapeMismatch,
        `${name} have ${part.nFeatures} features, members ${nFeatures}`,
      );
    }
  }
  const { features, labels, nRows } = concatRows(parts);
  // Copies of one record (features and label) anywhere in the pool point at its first occurrence.
  const rows = { features, labels, nFeatures };
  const sameContent = new Int32Array(nRows);
  const firstByDigest = new Map<string, number>();
  for (let row = 0; row < nRows; row++) {
    const digest = recordDigest(rows, row);
    const first = firstByDigest.get(digest);
    if (first === undefined) firstByDigest.set(digest, row);
    sameContent[row] = first ?? row;
  }
  const hash = createHash('sha256');
  hash.update(`${nRows}x${nFeatures};pop=${population.nRows};`);
  hash.update(Buffer.from(features.buffer, features.byteOffset, features.byteLength));
  hash.update(Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength));
  return {
    features,
    labels,
    nRows,
    nFeatures,
    nPopulation: population.nRows,
    sameContent,
    contentHash: hash.digest('hex'),
  };
}

function referenceArchitecture(args: ReferenceModelProviderArgs, pool: RecordPool): MlpArchitecture {
  let numClasses = 0;
  for (const label of pool.labels) numClasses = Math.max(numClasses, label + 1);
  // A class no audited or population row happens to hold is still one of the model's outputs.
  if (args.numClasses !== undefined) numClasses = Math.max(numClasses, args.numClasses);
  const arch = args.architecture ??
    (args.modelBytes ? readMlpFromOnnx(args.modelBytes)?.architecture : undefined) ?? {
      nFeatures: pool.nFeatures,
      hidden: DEFAULT_REFERENCE_HIDDEN,
      numClasses,
      activation: 'relu',
    };
  if (arch.nFeatures !== pool.nFeatures) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `reference architecture takes ${arch.nFeatures} features, the data has ${pool.nFeatures}`,
    );
  }
  if (arch.numClasses < numClasses) {
    throw new EngineError(
      EngineErrorCode.LabelOutOfRange,
      `labels go up to class ${numClasses - 1} but the reference architecture has ${arch.numClasses} classes`,
    );
  }
  return arch;
}

/** What the provider trains with: defaults, the caller's options, and under 'auto' epochs the cap and the fit goal. */
function referenceTraining(args: ReferenceModelProviderArgs): ReferenceTrainingOptions {
  const { seed: _ignoredSeed, onEpoch: _ignoredOnEpoch, ...trainingOverrides } = args.training ?? {};
  const training: ReferenceTrainingOptions = { ...DEFAULT_REFERENCE_TRAINING, ...trainingOverrides };
  if (!args.autoEpochs) return training;
  const { maxEpochs, fit } = args.autoEpochs;
  if (!(Number.isInteger(maxEpochs) && maxEpochs >= 1)) {
    throw new EngineError(EngineErrorCode.InvalidOption, `auto reference epochs need a positive cap, got ${maxEpochs}`);
  }
  return { ...training, epochs: maxEpochs, ...(fit ? { stopAtFit: fit } : {}) };
}

export interface InMaskOptions {
  /**
   * Training rows per model (the target's training-set size). Undefined: half of the pool (online), half of the
   * population (offline).
   */
  readonly trainSize?: number;
  /** Per pool record, the first record with the same content: copies share their IN/OUT assignment (online). */
  readonly sameContent?: Int32Array;
}

/**
 * Training rows each reference model gets for a declared target training-set size T: online, the audited
 * records' balanced halves topped up with population rows to T (or fewer audited rows when T is smaller than
 * half of them); offline, T population rows but at most half of the population, so every population row is
 * OUT of some models (RMIA's z points and its calibration need them).
 */
export function referenceTrainingRows(
  mode: ReferenceMode,
  trainSize: number,
  nAudited: number,
  nPopulation: number,
): number {
  if (mode === 'offline') return Math.max(1, Math.min(trainSize, Math.floor(nPopulation / 2)));
  const auditedIn = Math.min(trainSize, nAudited / 2);
  return Math.min(trainSize, auditedIn + nPopulation);
}

/** The IN/OUT assignment of pool records to models, inMask[m * nRecords + i]. */
export function referenceInMask(
  mode: ReferenceMode,
  k: number,
  nRecords: number,
  nPopulation: number,
  seed: number,
  options: InMaskOptions = {},
): Uint8Array {
  const inMask = new Uint8Array(k * nRecords);
  const trainSize = options.trainSize;
  if (mode === 'online' && trainSize === undefined) {
    // Balanced (Carlini et al. 2022): each record is IN for exactly K/2 models (alternating floor and
    // ceil when K is odd), so every record has both IN and OUT models to fit its Gaussians on.
    const rng = new SeededRandom(deriveSeed(seed, 0x0411e));
    for (let i = 0; i < nRecords; i++) {
      const nIn = i % 2 === 0 ? Math.floor(k / 2) : Math.ceil(k / 2);
      const models = rng.permutation(k);
      for (let t = 0; t < nIn; t++) inMask[(models[t] as number) * nRecords + i] = 1;
    }
  } else if (mode === 'online' && trainSize !== undefined) {
    // Audited records: IN for a share of the models that gives each model about T audited rows when T is less
    // than half of them, else balanced halves as above; at least one IN and one OUT model each when K >= 2.
    // Population rows then fill each model up to T.
    const nAudited = nRecords - nPopulation;
    const share = nAudited > 0 ? Math.min(0.5, trainSize / nAudited) : 0.5;
    const rng = new SeededRandom(deriveSeed(seed, 0x0411f));
    for (let i = nPopulation; i < nRecords; i++) {
      const exact = k * share;
      let nIn =
        share === 0.5
          ? (i - nPopulation) % 2 === 0
            ? Math.floor(k / 2)
            : Math.ceil(k / 2)
          : Math.floor(exact) + (rng.next() < exact - Math.floor(exact) ? 1 : 0);
      if (k >= 2) nIn = Math.min(k - 1, Math.max(1, nIn));
      const models = rng.permutation(k);
      for (let t = 0; t < nIn; t++) inMask[(models[t] as number) * nRecords + i] = 1;
    }
    for (let m = 0; m < k; m++) {
      let auditedIn = 0;
      for (let i = nPopulation; i < nRecords; i++) auditedIn += inMask[m * nRecords + i] as number;
      const fill = Math.min(nPopulation, Math.max(0, trainSize - auditedIn));
      const rows = new SeededRandom(deriveSeed(seed, 0x0f11 + m)).permutation(nPopulation);
      for (let t = 0; t < fill; t++) inMask[m * nRecords + (rows[t] as number)] = 1;
    }
  } else {
    // Offline: audited rows are never IN; each model takes its own random half of the population, or T rows.
    const half = Math.max(1, Math.floor(nPopulation / 2));
    const size = trainSize !== undefined ? referenceTrainingRows('offline', trainSize, 0, nPopulation) : half;
    for (let m = 0; m < k; m++) {
      const rng = new SeededRandom(deriveSeed(seed, 0x0ff1 + m));
      const rows = rng.permutation(nPopulation);
      for (let t = 0; t < size; t++) inMask[m * nRecords + (rows[t] as number)] = 1;
    }
  }
  const same = options.sameContent;
  if (mode === 'online' && same) {
    // Copies of one content are one record to a model: the target saw every copy of a member.
    for (let i = 0; i < nRecords; i++) {
      const first = same[i] as number;
      if (first === i) continue;
      for (let m = 0; m < k; m++) inMask[m * nRecords + i] = inMask[m * nRecords + first] as number;
    }
  }
  return inMask;
}

function modelCacheKey(
  pool: RecordPool,
  arch: MlpArchitecture,
  training: ReferenceTrainingOptions,
  mode: ReferenceMode,
  seed: number,
  k: number,
  m: number,
  modelsPerGraph: number,
  trainSize: number,
  autoEpochs: AutoEpochs | undefined,
): string {
  const identity = {
    // v2: training sets of the target's size, copies of one content share IN/OUT, 'auto' epochs.
    v: 2,
    trainSize,
    ...(autoEpochs ? { auto: { target: autoEpochs.targetSha256, maxEpochs: autoEpochs.maxEpochs } } : {}),
    pool: pool.contentHash,
    arch: {
      nFeatures: arch.nFeatures,
      hidden: [...arch.hidden],
      numClasses: arch.numClasses,
      activation: arch.activation,
    },
    training: {
      epochs: training.epochs,
      batchSize: training.batchSize,
      learningRate: training.learningRate,
      l2: training.l2 ?? 0,
      standardize: training.standardize ?? true,
      modelsPerGraph,
      // Always present: models cached by builds that trained with tfjs have no trainer in their key, so none of
      // them is ever served as an onnxruntime model; onnxruntime models keep the keys they had beside tfjs.
      trainer: training.trainer ?? DEFAULT_MLP_TRAINER,
    },
    mode,
    seed,
    k,
    m,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

async function buildReferenceSet(
  mode: ReferenceMode,
  pool: RecordPool,
  arch: MlpArchitecture,
  training: ReferenceTrainingOptions,
  args: ReferenceModelProviderArgs,
): Promise<ReferenceModelSet> {
  const { k, seed } = args;
  if (mode === 'offline' && pool.nPopulation < 2) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      'offline reference models need population data (at least 2 rows) to train on',
    );
  }
  const trainSize = referenceTrainSize(args);
  const inMask = referenceInMask(mode, k, pool.nRows, pool.nPopulation, seed, {
    trainSize,
    sameContent: pool.sameContent,
  });
  const groupSize = args.modelsPerGraph ?? referenceGroupSize(k, arch);
  const keys = Array.from({ length: k }, (_, m) =>
    modelCacheKey(pool, arch, training, mode, seed, k, m, groupSize, trainSize, args.autoEpochs),
  );
  const models: Array<MlpWeights | undefined> = new Array<MlpWeights | undefined>(k);
  if (args.store) {
    for (let m = 0; m < k; m++) models[m] = await args.store.get(keys[m] as string);
  }
  let done = models.filter((w) => w !== undefined).length;
  args.onProgress?.(done, k, done > 0 ? `${done} of ${k} ${mode} reference models from cache` : undefined);

  const modeSalt = mode === 'online' ? 0x1000 : 0x2000;
  // A group is retrained whole when any of its models is missing: its models depend on each other's batches.
  const pending: number[][] = [];
  for (let start = 0; start < k; start += groupSize) {
    const group = Array.from({ length: Math.min(groupSize, k - start) }, (_, t) => start + t);
    if (!group.every((m) => models[m] !== undefined)) pending.push(group);
  }
  if (args.signal?.aborted) throw args.signal.reason ?? new Error('reference model training aborted');
  if (pending.length > 0) assertFitKnown(args);
  await trainGroupsInParallel(
    pool,
    pending.map((group) => {
      const groupMask = new Uint8Array(group.length * pool.nRows);
      group.forEach((m, t) => groupMask.set(inMask.subarray(m * pool.nRows, (m + 1) * pool.nRows), t * pool.nRows));
      return { inMask: groupMask, seeds: group.map((m) => deriveSeed(seed, modeSalt + m)) };
    }),
    arch,
    training,
    {
      ...(args.parallelism !== undefined ? { parallelism: args.parallelism } : {}),
      ...(args.signal ? { signal: args.signal } : {}),
      onGroupTrained: async (g, trained) => {
        for (const [t, m] of (pending[g] as number[]).entries()) {
          if (models[m] === undefined) {
            models[m] = trained[t] as MlpWeights;
            await args.store?.put(keys[m] as string, models[m]);
            done++;
          }
        }
        args.onProgress?.(done, k, `trained ${done} of ${k} ${mode} reference models`);
      },
    },
  );

  const trainedModels = models as MlpWeights[];
  // Inference on onnxruntime, one session per model, created on first use and kept with the set: stacking the
  // K models in one graph measured no faster (bench:training, "reference-model inference").
  const sessions: Array<Promise<StackedMlpInference> | undefined> = new Array(k);
  const predictWith = async (m: number, features: Float32Array, nRows: number): Promise<TargetOutputs> => {
    let session = sessions[m];
    if (!session) {
      session = StackedMlpInference.create([trainedModels[m] as MlpWeights]);
      sessions[m] = session;
      void session.catch(() => (sessions[m] = undefined));
    }
    const [outputs] = await (await session).predictAll(features, nRows);
    return outputs as TargetOutputs;
  };
  const fit: TrainingFit[] = [];
  for (let m = 0; m < k; m++) {
    const rows = rowsOfMask(pool, inMask.subarray(m * pool.nRows, (m + 1) * pool.nRows));
    fit.push(measureFit(await predictWith(m, rows.features, rows.nRows), rows.labels, arch.numClasses));
  }
  let rowsSum = 0;
  for (let i = 0; i < inMask.length; i++) rowsSum += inMask[i] as number;
  return {
    mode,
    k,
    nRecords: pool.nRows,
    nPopulation: pool.nPopulation,
    inMask,
    fit,
    trainRows: Math.round(rowsSum / k),
    predict(m: number, features: Float32Array, nRows: number): Promise<TargetOutputs> {
      const weights = trainedModels[m];
      if (!weights) {
        return Promise.reject(
          new EngineError(EngineErrorCode.InvalidOption, `reference model ${m} does not exist (K = ${k})`),
        );
      }
      return predictWith(m, features, nRows);
    },
  };
}

/**
 * The identity of each reference model the provider would train for these args: its cache key and what
 * trains it alone (pool, architecture, options, IN mask row, seed). For distributing the models one job per
 * model (reference-model-jobs.ts): with modelsPerGraph 1 a model trained alone equals the provider's.
 */
export interface ReferenceModelIdentity {
  readonly pool: TrainingData & { readonly nPopulation: number };
  readonly architecture: MlpArchitecture;
  readonly training: ReferenceTrainingOptions;
  readonly modelsPerGraph: number;
  keyOf(mode: ReferenceMode, m: number): string;
  seedOf(mode: ReferenceMode, m: number): number;
  inMaskOf(mode: ReferenceMode): Uint8Array;
}

export function referenceModelIdentity(args: ReferenceModelProviderArgs): ReferenceModelIdentity {
  const pool = buildPool(args.population, args.members, args.nonMembers);
  const architecture = referenceArchitecture(args, pool);
  const training = referenceTraining(args);
  const modelsPerGraph = args.modelsPerGraph ?? referenceGroupSize(args.k, architecture);
  const trainSize = referenceTrainSize(args);
  return {
    pool,
    architecture,
    training,
    modelsPerGraph,
    keyOf: (mode, m) =>
      modelCacheKey(
        pool,
        architecture,
        training,
        mode,
        args.seed,
        args.k,
        m,
        modelsPerGraph,
        trainSize,
        args.autoEpochs,
      ),
    // Same salts as buildReferenceSet.
    seedOf: (mode, m) => deriveSeed(args.seed, (mode === 'online' ? 0x1000 : 0x2000) + m),
    inMaskOf: (mode) =>
      referenceInMask(mode, args.k, pool.nRows, pool.nPopulation, args.seed, {
        trainSize,
        sameContent: pool.sameContent,
      }),
  };
}

/** The declared target training-set size, else the member count (the members are the target's training set). */
export function referenceTrainSize(args: Pick<ReferenceModelProviderArgs, 'trainSize' | 'members'>): number {
  const size = args.trainSize ?? args.members.nRows;
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the target's training-set size must be a positive integer, got ${size}`,
    );
  }
  return size;
}

/** Training under 'auto' epochs needs the target's measured fit; planning keys does not. */
function assertFitKnown(args: ReferenceModelProviderArgs): void {
  if (args.autoEpochs && !args.autoEpochs.fit) {
    throw new EngineError(
      EngineErrorCode.Internal,
      "reference epochs 'auto' need the target's fit on its members before any model is trained",
    );
  }
}
