// Inference of trained MLPs on onnxruntime's CPU kernels (issue 10): reference, shadow and surrogate models
// are queried on every audited record (LiRA and RMIA query each of K models on the whole pool), and
// onnxruntime's matrix products are many times faster than typed-array loops (bench:training prints both).
//
// K models of one architecture are stacked in one graph written with onnx-proto, weights as initializers:
// the first layer of all K is one wide [d, K*h1] Gemm (the input rows are shared), later layers batched
// MatMuls [K, n, in] x [K, in, out]. The graph outputs logits [K, n, C]; probabilities are the softmax of
// those logits in double precision on the host, as the plain-JS forward pass (mlp-forward.ts) computes them,
// so the two agree to float32 rounding of the logits. One intra-op thread per session, as the trainer.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { EngineError, EngineErrorCode } from '../../errors';
import { softmaxRows } from '../../math/softmax';
import type { TargetOutputs } from '../../types';
import type { MlpArchitecture, MlpWeights } from '../mlp';
import { GraphBuilder } from './onnx-graph-builder';
import { openGraphSession } from './onnx-mlp-trainer';

/**
 * Rows per session call: bounds the intermediate activations (rows x K x widest layer floats) for large
 * inputs; calls are cheap (tens of microseconds) next to this many rows.
 */
const MAX_ACTIVATION_FLOATS = 4 * 1024 * 1024;

function sameArchitecture(a: MlpArchitecture, b: MlpArchitecture): boolean {
  return (
    a.nFeatures === b.nFeatures &&
    a.numClasses === b.numClasses &&
    a.activation === b.activation &&
    a.hidden.length === b.hidden.length &&
    a.hidden.every((h, i) => h === b.hidden[i])
  );
}

function checkLayers(weights: MlpWeights): number[] {
  const arch = weights.architecture;
  const widths = [arch.nFeatures, ...arch.hidden, arch.numClasses];
  if (weights.layers.length !== widths.length - 1) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `the MLP has ${weights.layers.length} layers, its architecture ${widths.length - 1}`,
    );
  }
  weights.layers.forEach((layer, l) => {
    if (
      layer.inputs !== widths[l] ||
      layer.outputs !== widths[l + 1] ||
      layer.weights.length !== layer.inputs * layer.outputs ||
      layer.bias.length !== layer.outputs
    ) {
      throw new EngineError(
        EngineErrorCode.ModelShapeMismatch,
        `layer ${l} is ${layer.inputs} x ${layer.outputs}, the architecture says ${widths[l]} x ${widths[l + 1]}`,
      );
    }
  });
  return widths;
}

/** The inference graph of K stacked MLPs of one architecture: `features` [n, d] in, `logits` [K, n, C] out. */
export function buildStackedInferenceGraph(models: readonly MlpWeights[]): Uint8Array {
  const first = models[0];
  if (!first) throw new EngineError(EngineErrorCode.InvalidOption, 'no model to build an inference graph for');
  const arch = first.architecture;
  const widths = checkLayers(first);
  for (const [m, w] of models.entries()) {
    if (!sameArchitecture(w.architecture, arch)) {
      throw new EngineError(EngineErrorCode.ModelShapeMismatch, `model ${m} differs in architecture from model 0`);
    }
    checkLayers(w);
  }
  const k = models.length;
  const d = widths[0] as number;
  const h1 = widths[1] as number;
  const g = new GraphBuilder('float32');
  const x = g.input('features', 'float32', ['n', d]);
  // First layer, stacked wide: column block m of row i is model m's weights[i, :].
  const w0 = new Float32Array(d * k * h1);
  const b0 = new Float32Array(k * h1);
  models.forEach((w, m) => {
    const layer = w.layers[0] as MlpWeights['layers'][number];
    for (let i = 0; i < d; i++) w0.set(layer.weights.subarray(i * h1, (i + 1) * h1), i * k * h1 + m * h1);
    b0.set(layer.bias, m * h1);
  });
  const z1 = g.op('Gemm', [x, g.tensor('float32', [d, k * h1], w0), g.tensor('float32', [k * h1], b0)]);
  let z =
    k === 1
      ? g.op('Unsqueeze', [z1, g.ints([0])])
      : g.op('Transpose', [g.op('Reshape', [z1, g.ints([-1, k, h1])])], { perm: [1, 0, 2] });
  for (let l = 1; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const fanOut = widths[l + 1] as number;
    const w = new Float32Array(k * fanIn * fanOut);
    const b = new Float32Array(k * fanOut);
    models.forEach((mw, m) => {
      const layer = mw.layers[l] as MlpWeights['layers'][number];
      w.set(layer.weights, m * fanIn * fanOut);
      b.set(layer.bias, m * fanOut);
    });
    const a = g.op(activationOp(arch.activation), [z]);
    z = g.op('Add', [
      g.op('MatMul', [a, g.tensor('float32', [k, fanIn, fanOut], w)]),
      g.tensor('float32', [k, 1, fanOut], b),
    ]);
  }
  g.output(z, 'logits', 'float32', [k, 'n', widths[widths.length - 1] as number]);
  return g.model('mlp_inference');
}

function activationOp(activation: MlpArchitecture['activation']): string {
  switch (activation) {
    case 'relu':
      return 'Relu';
    case 'tanh':
      return 'Tanh';
    case 'sigmoid':
      return 'Sigmoid';
  }
}

/** K MLPs of one architecture in one onnxruntime session. */
export class StackedMlpInference {
  private constructor(
    private readonly session: InferenceSession,
    readonly architecture: MlpArchitecture,
    readonly k: number,
    private readonly chunkRows: number,
  ) {}

  /** maxActivationFloats bounds rows per session call (default MAX_ACTIVATION_FLOATS; small in tests of chunking). */
  static async create(
    models: readonly MlpWeights[],
    maxActivationFloats = MAX_ACTIVATION_FLOATS,
  ): Promise<StackedMlpInference> {
    const graph = buildStackedInferenceGraph(models);
    const arch = (models[0] as MlpWeights).architecture;
    const session = await openGraphSession(graph, 'inference');
    const widest = Math.max(...arch.hidden, arch.numClasses);
    const chunkRows = Math.max(16, Math.floor(maxActivationFloats / (models.length * widest)));
    return new StackedMlpInference(session, arch, models.length, chunkRows);
  }

  /** Logits of every model, model-major: out[m * nRows * C + r * C + j]. */
  async logits(features: Float32Array, nRows: number): Promise<Float32Array> {
    const d = this.architecture.nFeatures;
    const c = this.architecture.numClasses;
    if (features.length < nRows * d) {
      throw new EngineError(
        EngineErrorCode.ModelShapeMismatch,
        `expected ${nRows} x ${d} features, got ${features.length} values`,
      );
    }
    const out = new Float32Array(this.k * nRows * c);
    const chunk = this.chunkRows;
    for (let start = 0; start < nRows; start += chunk) {
      const rows = Math.min(chunk, nRows - start);
      let view = features.subarray(start * d, (start + rows) * d);
      // onnxruntime-node refuses views of a SharedArrayBuffer: those are copied.
      if (!(view.buffer instanceof ArrayBuffer)) view = view.slice();
      const result = await this.session.run({ features: new Tensor('float32', view, [rows, d]) });
      const logits = (result.logits as Tensor).data as Float32Array;
      for (let m = 0; m < this.k; m++) {
        out.set(logits.subarray(m * rows * c, (m + 1) * rows * c), m * nRows * c + start * c);
      }
    }
    return out;
  }

  /** Outputs of every model on the rows: logits and their softmax (double precision on the host). */
  async predictAll(features: Float32Array, nRows: number): Promise<TargetOutputs[]> {
    const c = this.architecture.numClasses;
    const all = await this.logits(features, nRows);
    return Array.from({ length: this.k }, (_, m) => {
      const logits = all.slice(m * nRows * c, (m + 1) * nRows * c);
      return { logits, probabilities: softmaxRows(logits, nRows, c) };
    });
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** One MLP's logits and probabilities on onnxruntime (a session built for this call and released after it). */
export async function mlpForwardOnnx(
  weights: MlpWeights,
  features: Float32Array,
  nRows: number,
): Promise<TargetOutputs> {
  const inference = await StackedMlpInference.create([weights]);
  try {
    return (await inference.predictAll(features, nRows))[0] as TargetOutputs;
  } finally {
    await inference.release();
  }
}
