// The surrogate an extraction attack trains on the target's answers: an MLP trained with the engine's own
// trainer (training/mlp-trainer.ts, onnxruntime by default), on soft labels (the answered probabilities) or hard
// labels (labels-only answers, Copycat), plus the JavaScript forward pass and input gradient the attacks need.

import { readMlpFromOnnx } from '../onnx/mlp-onnx-writer';
import { trainMlp } from '../training/mlp-trainer';
import { mlpForwardOnnx } from '../training/onnx-trainer/onnx-mlp-inference';
import type { MlpArchitecture, MlpTrainerKind, MlpWeights } from '../training/mlp';
import { labelsOf } from './extraction-attack';

/** One hidden layer of 256 relu units: the surrogate when the target's graph is not a plain MLP. */
export const DEFAULT_SURROGATE_HIDDEN: readonly number[] = [256];
/**
 * A mirrored surrogate keeps the target's depth and activation with each layer this many times wider (at most
 * MAX_SURROGATE_WIDTH): Orekondy et al. (2019, section 6) find a higher-capacity knockoff copies better, and on
 * letter a 4x-wide copy of a 64-unit target gains 2-4 fidelity points at every budget (bench/extraction.ts).
 */
export const SURROGATE_WIDTH_FACTOR = 4;
const MAX_SURROGATE_WIDTH = 512;

/** Gradient steps a surrogate aims for, whatever the number of queries (epochs scale inversely). */
export const SURROGATE_TRAINING_STEPS = 12_000;
const MIN_EPOCHS = 20;
const MAX_EPOCHS = 1000;

/**
 * The surrogate architecture: the caller's choice, else mirrored from the target's ONNX graph when it is a
 * plain MLP (same depth and activation, SURROGATE_WIDTH_FACTOR times wider), else the default.
 */
export function surrogateArchitecture(
  requested: MlpArchitecture | undefined,
  modelBytes: Uint8Array | undefined,
  nFeatures: number,
  numClasses: number,
): { architecture: MlpArchitecture; source: 'requested' | 'mirrored' | 'default' } {
  if (requested) return { architecture: requested, source: 'requested' };
  const mirrored = modelBytes ? readMlpFromOnnx(modelBytes)?.architecture : undefined;
  if (mirrored && mirrored.nFeatures === nFeatures && mirrored.numClasses === numClasses) {
    const hidden = mirrored.hidden.map((w) => Math.min(MAX_SURROGATE_WIDTH, w * SURROGATE_WIDTH_FACTOR));
    return { architecture: { ...mirrored, hidden }, source: 'mirrored' };
  }
  return {
    architecture: { nFeatures, hidden: [...DEFAULT_SURROGATE_HIDDEN], numClasses, activation: 'relu' },
    source: 'default',
  };
}

export interface SurrogateTrainingSet {
  readonly features: Float32Array;
  readonly nRows: number;
  /** Soft targets, row-major nRows * numClasses (rows sum to 1). */
  readonly targets: Float32Array;
}

/**
 * Trains a surrogate on the answered rows: soft labels when `soft`, else the answers' argmax (hard labels).
 * Epochs scale so that every budget gets about the same number of gradient steps.
 */
export function trainSurrogate(
  set: SurrogateTrainingSet,
  arch: MlpArchitecture,
  opts: { seed: number; soft: boolean; trainer?: MlpTrainerKind; steps?: number },
): Promise<MlpWeights> {
  const batchSize = Math.max(8, Math.min(64, Math.ceil(set.nRows / 8)));
  const steps = opts.steps ?? SURROGATE_TRAINING_STEPS;
  const epochs = Math.min(MAX_EPOCHS, Math.max(MIN_EPOCHS, Math.ceil((steps * batchSize) / set.nRows)));
  const labels = labelsOf(set.targets, set.nRows, arch.numClasses);
  return trainMlp(
    {
      features: set.features.subarray(0, set.nRows * arch.nFeatures),
      labels,
      nRows: set.nRows,
      nFeatures: arch.nFeatures,
      ...(opts.soft ? { targets: set.targets } : {}),
    },
    arch,
    {
      epochs,
      batchSize,
      learningRate: 3e-3,
      l2: 1e-5,
      seed: opts.seed,
      ...(opts.trainer ? { trainer: opts.trainer } : {}),
    },
  );
}

/** The surrogate's predicted class per row, answered on onnxruntime (onnx-mlp-inference.ts). */
export async function surrogateLabels(weights: MlpWeights, features: Float32Array, nRows: number): Promise<Int32Array> {
  const { logits } = await mlpForwardOnnx(weights, features, nRows);
  return labelsOf(logits as Float32Array, nRows, weights.architecture.numClasses);
}

/**
 * d logit_cls / d x for one row x of an MLP (the Jacobian row Papernot et al. 2017 augment along), by
 * back-propagation through the dense layers in double precision.
 */
export function logitInputGradient(weights: MlpWeights, x: ArrayLike<number>, cls: number): Float64Array {
  const { layers, architecture } = weights;
  const activations: Float64Array[] = [Float64Array.from(x)];
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l]!;
    const input = activations[l]!;
    const out = Float64Array.from(layer.bias);
    for (let i = 0; i < layer.inputs; i++) {
      const v = input[i]!;
      if (v === 0) continue;
      for (let j = 0; j < layer.outputs; j++) out[j] = out[j]! + v * layer.weights[i * layer.outputs + j]!;
    }
    if (l < layers.length - 1) {
      for (let j = 0; j < out.length; j++) out[j] = activate(architecture.activation, out[j]!);
    }
    activations.push(out);
  }
  let delta = new Float64Array(architecture.numClasses);
  delta[cls] = 1;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const input = activations[l]!;
    const back = new Float64Array(layer.inputs);
    for (let i = 0; i < layer.inputs; i++) {
      let s = 0;
      for (let j = 0; j < layer.outputs; j++) s += layer.weights[i * layer.outputs + j]! * delta[j]!;
      back[i] = l > 0 ? s * activationDerivative(architecture.activation, input[i]!) : s;
    }
    delta = back;
  }
  return delta;
}

function activate(kind: MlpArchitecture['activation'], v: number): number {
  switch (kind) {
    case 'relu':
      return v > 0 ? v : 0;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
  }
}

/** The activation's derivative written in terms of its output a. */
function activationDerivative(kind: MlpArchitecture['activation'], a: number): number {
  switch (kind) {
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'tanh':
      return 1 - a * a;
    case 'sigmoid':
      return a * (1 - a);
  }
}
