// Trains the small MLPs privaudit needs: the demo target and the K reference/shadow models of LiRA
// (Carlini et al., S&P 2022) and RMIA (Zarifzadeh et al., ICML 2024), whose cost is what makes those
// attacks slow in the existing tools. This is the one training interface; it trains on onnxruntime
// (onnx-trainer/onnx-mlp-trainer.ts). The old tfjs trainer lives on in bench/legacy/ for benchmarks only.
import { EngineError, EngineErrorCode } from '../errors';
import type { MlpArchitecture, MlpTrainerKind, MlpTrainingOptions, MlpWeights, TrainingData } from './mlp';
import type { MlpSubsetTrainingOptions } from './mlp-training-setup';
import { trainMlpOnSubsetsOnnx } from './onnx-trainer/onnx-mlp-trainer';

export { meetsFit, type MlpSubsetTrainingOptions } from './mlp-training-setup';

export const DEFAULT_MLP_TRAINER: MlpTrainerKind = 'onnxruntime';

/**
 * Train K = opts.seeds.length MLPs at once on subsets of one pool: model m trains on the rows i with
 * inMask[m * pool.nRows + i] = 1. opts.batchSize is per model: a pool batch holds about batchSize IN rows
 * for each model. Same pool, mask, architecture and options (seeds included) give the same weights.
 */
export function trainMlpOnSubsets(
  pool: TrainingData,
  inMask: Uint8Array,
  arch: MlpArchitecture,
  opts: MlpSubsetTrainingOptions,
): Promise<MlpWeights[]> {
  const trainer = opts.trainer ?? DEFAULT_MLP_TRAINER;
  if (trainer !== 'onnxruntime') {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `unknown MLP trainer '${String(trainer)}': only 'onnxruntime'`,
    );
  }
  return trainMlpOnSubsetsOnnx(pool, inMask, arch, opts);
}

/** Train one MLP. Same data, architecture and options (seed included) give bit-identical weights. */
export async function trainMlp(
  data: TrainingData,
  arch: MlpArchitecture,
  opts: MlpTrainingOptions,
): Promise<MlpWeights> {
  const { seed, onEpoch, ...rest } = opts;
  const [weights] = await trainMlpOnSubsets(data, new Uint8Array(data.nRows).fill(1), arch, {
    ...rest,
    seeds: [seed],
    ...(onEpoch ? { onEpoch } : {}),
  });
  return weights as MlpWeights;
}

/**
 * Train K = opts.seeds.length MLPs at once on separate datasets (e.g. shadow models on disjoint splits).
 * The datasets are stacked into one pool where each row is IN for its own model only.
 */
export async function trainMlpBatch(
  datasets: readonly TrainingData[],
  arch: MlpArchitecture,
  opts: MlpSubsetTrainingOptions,
): Promise<MlpWeights[]> {
  if (datasets.length !== opts.seeds.length) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `trainMlpBatch got ${datasets.length} datasets but ${opts.seeds.length} seeds`,
    );
  }
  const k = datasets.length;
  const nRows = datasets.reduce((s, d) => s + d.nRows, 0);
  const features = new Float32Array(nRows * arch.nFeatures);
  const labels = new Int32Array(nRows);
  const inMask = new Uint8Array(k * nRows);
  let offset = 0;
  datasets.forEach((d, m) => {
    if (d.nFeatures !== arch.nFeatures) {
      throw new EngineError(
        EngineErrorCode.ModelShapeMismatch,
        `dataset ${m} has ${d.nFeatures} features, the architecture ${arch.nFeatures}`,
      );
    }
    features.set(d.features.subarray(0, d.nRows * d.nFeatures), offset * arch.nFeatures);
    labels.set(d.labels.subarray(0, d.nRows), offset);
    inMask.fill(1, m * nRows + offset, m * nRows + offset + d.nRows);
    offset += d.nRows;
  });
  return trainMlpOnSubsets({ features, labels, nRows, nFeatures: arch.nFeatures }, inMask, arch, opts);
}
