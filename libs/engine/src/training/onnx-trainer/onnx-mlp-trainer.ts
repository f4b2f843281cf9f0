// Trains K MLPs at once on onnxruntime's CPU kernels (issue 10), behind the engine's training interface
// (training/mlp-trainer.ts), as the tfjs trainer it replaced (now bench/legacy/tfjs-mlp-trainer.ts): same
// options, same seeded Glorot initial weights, same shuffled batches, same masked loss, same Adam (tfjs
// defaults: beta1 0.9, beta2 0.999, epsilon 1e-7), same standardisation (folded into the first layer of the
// returned weights), same stopAtFit rule, same MlpWeights layout.
//
// One session call per epoch (mlp-training-graph.ts: an ONNX Loop over the batches). Adam's bias
// corrections are computed here in double precision and passed per step. One intra-op thread per session:
// spread models across cores with processes or worker threads (parallel-training.ts), not thread pools.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { EngineError, EngineErrorCode } from '../../errors';
import { SeededRandom, deriveSeed } from '../../random/seeded-random';
import type { DenseLayerWeights, MlpArchitecture, MlpWeights, TrainingData } from '../mlp';
import {
  FIT_CHUNK_ROWS,
  SHUFFLE_SALT,
  glorotInit,
  meetsFit,
  planSubsetTraining,
  subsetStandardization,
  validateSubsetTraining,
  type MlpSubsetTrainingOptions,
} from '../mlp-training-setup';
import {
  adamStepFactors,
  buildEpochGraph,
  parameterOffsets,
  stackedParameters,
  type OptimizerSpec,
} from './mlp-training-graph';

export interface OnnxTrainerOptions extends MlpSubsetTrainingOptions {
  /** Default 'adam' (as the tfjs trainer). */
  readonly optimizer?: 'adam' | 'sgd';
}

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export const ONNX_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Errors only: the optimiser's notes (e.g. an initializer left unused after folding) are not the user's concern.
  logSeverityLevel: 3,
};

/** An onnxruntime session of a graph built here; a graph it cannot load is a ModelRuntimeFailure naming `which`. */
export async function openGraphSession(graph: Uint8Array, which: 'training' | 'inference'): Promise<InferenceSession> {
  try {
    return await InferenceSession.create(graph, ONNX_SESSION_OPTIONS);
  } catch (error) {
    throw new EngineError(
      EngineErrorCode.ModelRuntimeFailure,
      `onnxruntime cannot load the ${which} graph: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
}

/**
 * Float32 tensors of the pool, the labels one-hot (or the soft targets, when the pool has them: the graph's
 * cross-entropy and its softmax - y gradient hold for any target distribution) and the per-model IN mask.
 */
export function poolTensors(pool: TrainingData, inMask: Uint8Array, k: number, numClasses: number) {
  const n = pool.nRows;
  const d = pool.nFeatures;
  let onehot: Float32Array;
  if (pool.targets !== undefined) {
    onehot = pool.targets.slice(0, n * numClasses);
  } else {
    onehot = new Float32Array(n * numClasses);
    for (let i = 0; i < n; i++) onehot[i * numClasses + (pool.labels[i] as number)] = 1;
  }
  const mask = new Float32Array(n * k);
  for (let m = 0; m < k; m++) for (let i = 0; i < n; i++) mask[i * k + m] = inMask[m * n + i] as number;
  // onnxruntime-node refuses views of a SharedArrayBuffer (the pool of parallel-training's worker threads):
  // those are copied once per training call; an ordinary array is wrapped as it is.
  const features = pool.features.subarray(0, n * d);
  return {
    features: new Tensor('float32', features.buffer instanceof ArrayBuffer ? features : features.slice(), [n, d]),
    onehot: new Tensor('float32', onehot, [n, numClasses]),
    mask: new Tensor('float32', mask, [n, k]),
  };
}

/** A per-model, per-feature value spread over that model's h columns of the stacked first layer [d, k*h]. */
export function expandPerModel(values: Float64Array, k: number, d: number, h: number): Float32Array {
  const out = new Float32Array(d * k * h);
  for (let i = 0; i < d; i++) {
    for (let m = 0; m < k; m++) out.fill(values[m * d + i] as number, i * k * h + m * h, i * k * h + (m + 1) * h);
  }
  return out;
}

/**
 * The pool with features standardised by one model's statistics, (x - mean) * invStd in double precision
 * rounded to float32; the pool itself when there is nothing to do (standardize false).
 */
export function standardizedPool(pool: TrainingData, mean: Float64Array, invStd: Float64Array): TrainingData {
  const d = pool.nFeatures;
  let identity = true;
  for (let j = 0; j < d; j++) if (mean[j] !== 0 || invStd[j] !== 1) identity = false;
  if (identity) return pool;
  const features = new Float32Array(pool.nRows * d);
  for (let i = 0; i < pool.nRows; i++) {
    for (let j = 0; j < d; j++) {
      features[i * d + j] = ((pool.features[i * d + j] as number) - (mean[j] as number)) * (invStd[j] as number);
    }
  }
  return { ...pool, features };
}

/** The K models' initial parameters stacked as the graph lays them out (stackedParameters order). */
export function stackedInitialParameters(widths: readonly number[], seeds: readonly number[]): Float32Array[] {
  const k = seeds.length;
  const init = seeds.map((s) => glorotInit(widths, s));
  const out: Float32Array[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const fanOut = widths[l + 1] as number;
    const w = new Float32Array(fanIn * k * fanOut);
    const b = new Float32Array(k * fanOut);
    init.forEach((layers, m) => {
      const layer = layers[l] as { weights: Float32Array; bias: Float32Array };
      if (l === 0) {
        for (let i = 0; i < fanIn; i++) {
          w.set(layer.weights.subarray(i * fanOut, (i + 1) * fanOut), i * k * fanOut + m * fanOut);
        }
      } else {
        w.set(layer.weights, m * fanIn * fanOut);
      }
      b.set(layer.bias, m * fanOut);
    });
    out.push(w, b);
  }
  return out;
}

/** The K models' weights as MlpWeights, the first layer with standardisation folded in (raw features in). */
export function unstackModels(
  arch: MlpArchitecture,
  k: number,
  params: readonly Float32Array[],
  mean: Float64Array,
  invStd: Float64Array,
): MlpWeights[] {
  const widths = [arch.nFeatures, ...arch.hidden, arch.numClasses];
  const d = arch.nFeatures;
  const h1 = widths[1] as number;
  const w0 = params[0] as Float32Array;
  const b0 = params[1] as Float32Array;
  return Array.from({ length: k }, (_, m) => {
    const weights = new Float32Array(d * h1);
    const bias = new Float64Array(h1);
    for (let j = 0; j < h1; j++) bias[j] = b0[m * h1 + j] as number;
    for (let i = 0; i < d; i++) {
      const s = invStd[m * d + i] as number;
      const shift = (mean[m * d + i] as number) * s;
      for (let j = 0; j < h1; j++) {
        const w = w0[i * k * h1 + m * h1 + j] as number;
        weights[i * h1 + j] = w * s;
        bias[j] = (bias[j] as number) - w * shift;
      }
    }
    const layers: DenseLayerWeights[] = [{ inputs: d, outputs: h1, weights, bias: Float32Array.from(bias) }];
    for (let l = 1; l + 1 < widths.length; l++) {
      const fanIn = widths[l] as number;
      const fanOut = widths[l + 1] as number;
      const w = params[2 * l] as Float32Array;
      const b = params[2 * l + 1] as Float32Array;
      layers.push({
        inputs: fanIn,
        outputs: fanOut,
        weights: w.slice(m * fanIn * fanOut, (m + 1) * fanIn * fanOut),
        bias: b.slice(m * fanOut, (m + 1) * fanOut),
      });
    }
    return { architecture: arch, layers };
  });
}

/** Train one MLP on every row of `data`. Same data, architecture and options give the same weights. */
export async function trainMlpOnnx(
  data: TrainingData,
  arch: MlpArchitecture,
  opts: Omit<OnnxTrainerOptions, 'seeds'> & { readonly seed: number },
): Promise<MlpWeights> {
  const { seed, ...rest } = opts;
  const [weights] = await trainMlpOnSubsetsOnnx(data, new Uint8Array(data.nRows).fill(1), arch, {
    ...rest,
    seeds: [seed],
  });
  return weights as MlpWeights;
}

/**
 * Train K = opts.seeds.length MLPs at once on subsets of one pool: model m trains on the rows i with
 * inMask[m * pool.nRows + i] = 1. opts.batchSize is per model (see trainMlpOnSubsets).
 */
export async function trainMlpOnSubsetsOnnx(
  pool: TrainingData,
  inMask: Uint8Array,
  arch: MlpArchitecture,
  opts: OnnxTrainerOptions,
): Promise<MlpWeights[]> {
  validateSubsetTraining(pool, inMask, arch, opts);
  const k = opts.seeds.length;
  const d = arch.nFeatures;
  const widths = [d, ...arch.hidden, arch.numClasses];
  const h1 = widths[1] as number;
  const { active, inCount, poolBatch, stepsPerEpoch } = planSubsetTraining(pool, inMask, k, opts.batchSize);
  const { mean, invStd } = subsetStandardization(pool, inMask, k, opts.standardize ?? true);
  const optimizerKind = opts.optimizer ?? 'adam';
  const optimizer: OptimizerSpec =
    optimizerKind === 'adam' ? { kind: 'adam', ...ADAM } : { kind: 'sgd', learningRate: opts.learningRate };
  const stopAtFit = opts.stopAtFit;
  // One model: its inputs are standardised here, once, and the graph's first layer is a plain Gemm.
  const standardizedInput = k === 1;
  const graph = buildEpochGraph({
    standardizedInput,
    widths,
    k,
    activation: arch.activation,
    l2: opts.l2 ?? 0,
    elementType: 'float32',
    optimizer,
    poolBatch,
    trackLoss: opts.onEpoch !== undefined,
    ...(stopAtFit ? { fitChunkRows: FIT_CHUNK_ROWS } : {}),
  });
  const session = await openGraphSession(graph, 'training');
  try {
    const data = poolTensors(
      standardizedInput ? standardizedPool(pool, mean, invStd) : pool,
      inMask,
      k,
      arch.numClasses,
    );
    const infos = stackedParameters(widths, k);
    const feeds: Record<string, Tensor> = standardizedInput
      ? { ...data, steps: new Tensor('int64', BigInt64Array.of(BigInt(stepsPerEpoch)), []) }
      : {
          ...data,
          scale: new Tensor('float32', expandPerModel(invStd, k, d, h1), [d, k * h1]),
          shift: new Tensor(
            'float32',
            expandPerModel(
              mean.map((v, i) => v * (invStd[i] as number)),
              k,
              d,
              h1,
            ),
            [d, k * h1],
          ),
          steps: new Tensor('int64', BigInt64Array.of(BigInt(stepsPerEpoch)), []),
        };
    const { offsets, total } = parameterOffsets(infos);
    const flat = new Float32Array(total);
    stackedInitialParameters(widths, opts.seeds).forEach((p, i) => flat.set(p, offsets[i]));
    feeds.params = new Tensor('float32', flat, [total]);
    if (optimizerKind === 'adam') {
      feeds.m = new Tensor('float32', new Float32Array(total), [total]);
      feeds.v = new Tensor('float32', new Float32Array(total), [total]);
    }
    if (stopAtFit) {
      feeds.fit_rows = new Tensor(
        'int64',
        BigInt64Array.from(active, (i) => BigInt(i)),
        [active.length],
      );
      feeds.fit_chunks = new Tensor('int64', BigInt64Array.of(BigInt(Math.ceil(active.length / FIT_CHUNK_ROWS))), []);
    }

    const currentParams = () => {
      const values = (feeds.params as Tensor).data as Float32Array;
      return infos.map((p, i) => {
        const start = offsets[i] as number;
        return values.subarray(start, start + p.dims.reduce((a, b) => a * b, 1));
      });
    };
    const fitted: Array<MlpWeights | undefined> = Array.from({ length: k }, () => undefined);
    const shuffler = new SeededRandom(deriveSeed(opts.seeds[0] as number, SHUFFLE_SALT));
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('training aborted');
      const order = shuffler.shuffle(active.slice());
      feeds.order = new Tensor(
        'int64',
        BigInt64Array.from(order, (i) => BigInt(i)),
        [order.length],
      );
      if (optimizerKind === 'adam') {
        const stepSize = new Float32Array(stepsPerEpoch);
        const stepEpsilon = new Float32Array(stepsPerEpoch);
        for (let s = 0; s < stepsPerEpoch; s++) {
          const factors = adamStepFactors(ADAM, opts.learningRate, epoch * stepsPerEpoch + s + 1);
          stepSize[s] = factors.stepSize;
          stepEpsilon[s] = factors.stepEpsilon;
        }
        feeds.step_size = new Tensor('float32', stepSize, [stepsPerEpoch]);
        feeds.step_epsilon = new Tensor('float32', stepEpsilon, [stepsPerEpoch]);
      }
      const out = await session.run(feeds);
      feeds.params = out.params_out as Tensor;
      if (optimizerKind === 'adam') {
        feeds.m = out.m_out as Tensor;
        feeds.v = out.v_out as Tensor;
      }
      if (opts.onEpoch) {
        const lossSum = (out.loss_sum as Tensor).data as Float32Array;
        opts.onEpoch(epoch, (lossSum[0] as number) / stepsPerEpoch / k);
      }
      if (stopAtFit) {
        const lossSum = (out.fit_loss_sum as Tensor).data as Float32Array;
        const correct = (out.fit_correct as Tensor).data as Float32Array;
        const reached: number[] = [];
        for (let m = 0; m < k; m++) {
          const rows = Math.max(1, inCount[m] as number);
          const loss = (lossSum[m] as number) / rows;
          const accuracy = (correct[m] as number) / rows;
          if (fitted[m] === undefined && meetsFit(loss, accuracy, stopAtFit)) reached.push(m);
        }
        if (reached.length > 0) {
          const snapshot = unstackModels(arch, k, currentParams(), mean, invStd);
          for (const m of reached) fitted[m] = snapshot[m];
        }
        if (fitted.every((w) => w !== undefined)) break;
      }
      // Give queue heartbeats and progress bars a turn between epochs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const final = fitted.every((w) => w !== undefined) ? [] : unstackModels(arch, k, currentParams(), mean, invStd);
    return opts.seeds.map((_, m) => fitted[m] ?? (final[m] as MlpWeights));
  } finally {
    await session.release();
  }
}
