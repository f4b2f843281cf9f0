// White-box MI-Face needs the gradient of a class's log-probability with respect to the input. When the target's
// ONNX graph is a plain MLP (onnx/mlp-onnx-writer.ts readMlpFromOnnx: Gemm or MatMul + Add, Relu / Tanh / Sigmoid,
// a final Softmax, Identity, Flatten of rows), its forward pass is rebuilt here in double precision and
// the gradient is exact backpropagation: d log p_c / d logits = onehot(c) - p, then back through every layer.

import type { MlpWeights } from '../training/mlp';

export interface ClassLogProbability {
  /** log p_c(x). */
  readonly logProb: number;
  /** Probabilities of every class at x. */
  readonly probabilities: Float64Array;
  /** d log p_c / d x, one entry per input. */
  readonly gradient: Float64Array;
}

export function classLogProbabilityGradient(weights: MlpWeights, x: ArrayLike<number>, c: number): ClassLogProbability {
  const { activation } = weights.architecture;
  const last = weights.layers.length - 1;
  // Forward: keep each layer's output (after its activation) for the backward pass.
  const outputs: Float64Array[] = [];
  let input = Float64Array.from(x);
  weights.layers.forEach((layer, l) => {
    const out = new Float64Array(layer.outputs);
    for (let j = 0; j < layer.outputs; j++) out[j] = layer.bias[j] as number;
    for (let i = 0; i < layer.inputs; i++) {
      const v = input[i] as number;
      if (v === 0) continue;
      const row = i * layer.outputs;
      for (let j = 0; j < layer.outputs; j++) out[j] = (out[j] as number) + v * (layer.weights[row + j] as number);
    }
    if (l < last) for (let j = 0; j < out.length; j++) out[j] = activate(activation, out[j] as number);
    outputs.push(out);
    input = out;
  });
  const logits = outputs[last] as Float64Array;
  let max = Number.NEGATIVE_INFINITY;
  for (const z of logits) max = Math.max(max, z);
  let sum = 0;
  for (const z of logits) sum += Math.exp(z - max);
  const logSum = max + Math.log(sum);
  const probabilities = logits.map((z) => Math.exp(z - logSum));
  const logProb = (logits[c] as number) - logSum;

  // Backward.
  let delta = probabilities.map((p, j) => (j === c ? 1 : 0) - p);
  for (let l = last; l >= 0; l--) {
    const layer = weights.layers[l] as MlpWeights['layers'][number];
    const back = new Float64Array(layer.inputs);
    for (let i = 0; i < layer.inputs; i++) {
      const row = i * layer.outputs;
      let s = 0;
      for (let j = 0; j < layer.outputs; j++) s += (layer.weights[row + j] as number) * (delta[j] as number);
      back[i] = s;
    }
    if (l > 0) {
      const a = outputs[l - 1] as Float64Array;
      for (let i = 0; i < back.length; i++)
        back[i] = (back[i] as number) * activationDerivative(activation, a[i] as number);
    }
    delta = back;
  }
  return { logProb, probabilities, gradient: delta };
}

function activate(kind: MlpWeights['architecture']['activation'], z: number): number {
  switch (kind) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
  }
}

/** The derivative from the activation's output a. */
function activationDerivative(kind: MlpWeights['architecture']['activation'], a: number): number {
  switch (kind) {
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'tanh':
      return 1 - a * a;
    case 'sigmoid':
      return a * (1 - a);
  }
}
