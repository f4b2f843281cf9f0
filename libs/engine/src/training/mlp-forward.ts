// Inference of a trained MLP in plain JavaScript, in double precision: the independent reference that the
// onnxruntime inference (onnx-trainer/onnx-mlp-inference.ts, what reference models answer with) is checked
// against, and a synchronous forward pass for the few callers that query one small batch at a time
// (extraction's surrogate checks, inversion). bench:training prints both on reference-model workloads.
import type { MlpWeights } from './mlp';
import { EngineError, EngineErrorCode } from '../errors';
import { softmaxRows } from '../math/softmax';

export interface MlpOutputs {
  /** Row-major nRows * numClasses. */
  readonly logits: Float32Array;
  readonly probabilities: Float32Array;
}

export function mlpForward(weights: MlpWeights, features: Float32Array, nRows: number): MlpOutputs {
  const arch = weights.architecture;
  if (features.length < nRows * arch.nFeatures) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `expected ${nRows} x ${arch.nFeatures} features, got ${features.length} values`,
    );
  }
  const lastLayer = weights.layers.length - 1;
  let input: Float32Array | Float64Array = features;
  let width = arch.nFeatures;
  weights.layers.forEach((layer, l) => {
    if (layer.inputs !== width) {
      throw new EngineError(
        EngineErrorCode.ModelShapeMismatch,
        `layer ${l} takes ${layer.inputs} inputs, the previous layer gives ${width}`,
      );
    }
    const out = new Float64Array(nRows * layer.outputs);
    const w = layer.weights;
    const nOut = layer.outputs;
    for (let r = 0; r < nRows; r++) {
      const o = r * nOut;
      for (let j = 0; j < nOut; j++) out[o + j] = layer.bias[j] as number;
      for (let i = 0; i < width; i++) {
        const v = input[r * width + i] as number;
        if (v === 0) continue;
        const wi = i * nOut;
        for (let j = 0; j < nOut; j++) out[o + j] = (out[o + j] as number) + v * (w[wi + j] as number);
      }
      if (l !== lastLayer) activateInPlace(out, o, nOut, arch.activation);
    }
    input = out;
    width = nOut;
  });
  if (width !== arch.numClasses) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `the last layer gives ${width} outputs, the architecture ${arch.numClasses} classes`,
    );
  }
  const logits = Float32Array.from(input);
  return { logits, probabilities: softmaxRows(input, nRows, width) };
}

function activateInPlace(
  values: Float64Array,
  start: number,
  length: number,
  kind: MlpWeights['architecture']['activation'],
): void {
  for (let j = start; j < start + length; j++) {
    const v = values[j] as number;
    switch (kind) {
      case 'relu':
        values[j] = v > 0 ? v : 0;
        break;
      case 'tanh':
        values[j] = Math.tanh(v);
        break;
      case 'sigmoid':
        values[j] = 1 / (1 + Math.exp(-v));
        break;
    }
  }
}

export { softmaxRows };
