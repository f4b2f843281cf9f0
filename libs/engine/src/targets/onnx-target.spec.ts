/**
 * @jest-environment ./test/fixtures/onnxruntime-jest-environment.js
 */
import { onnx } from 'onnx-proto';
import {
  mlpForwardLogits,
  pytorchStyleOnnx,
  randomFeatures,
  softmaxMlpOnnx,
  tinyRandomMlp,
  withFixedBatch,
} from '../../../../test/fixtures/onnx-fixtures';
import { EngineError, EngineErrorCode } from '../errors';
import { OnnxTarget, stableSoftmax } from './onnx-target';

const weights = tinyRandomMlp(21, { nFeatures: 6, hidden: [10, 7], numClasses: 4, activation: 'tanh' });
const nRows = 37;
const features = randomFeatures(22, nRows, 6);
const expectedLogits = mlpForwardLogits(weights, features, nRows);
const expectedProbabilities = stableSoftmax(Float32Array.from(expectedLogits), nRows, 4);

function expectClose(actual: ArrayLike<number> | undefined, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual).toBeDefined();
  expect(actual?.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs((actual?.[i] as number) - (expected[i] as number)));
  expect(worst).toBeLessThan(tolerance);
}

async function withTarget<T>(
  bytes: Uint8Array,
  run: (t: OnnxTarget) => Promise<T>,
  opts?: { batchSize?: number },
): Promise<T> {
  const target = await OnnxTarget.load(bytes, opts);
  try {
    return await run(target);
  } finally {
    await target.dispose();
  }
}

describe('OnnxTarget', () => {
  it.each([
    ['gemm + softmax', softmaxMlpOnnx(weights)],
    ['pytorch matmul-add logits', pytorchStyleOnnx(weights, 'matmul-add')],
    ['pytorch gemm transB logits', pytorchStyleOnnx(weights, 'gemm-transb')],
  ])('predicts what a JS forward pass computes (%s), in batches', async (_, bytes) => {
    const out = await withTarget(bytes, (t) => t.predict(features, nRows), { batchSize: 8 });
    expectClose(out.logits, expectedLogits, 1e-4);
    expectClose(out.probabilities, expectedProbabilities, 1e-5);
  });

  it('exposes the logits feeding a final Softmax, whose softmax equals the returned probabilities', async () => {
    const bytes = softmaxMlpOnnx(weights);
    const target = await OnnxTarget.load(bytes);
    try {
      expect(target.signature.outputKind).toBe('probabilities');
      const out = await target.predict(features, nRows);
      expectClose(stableSoftmax(out.logits as Float32Array, nRows, 4), out.probabilities, 1e-6);
    } finally {
      await target.dispose();
    }
  });

  it('keeps finite, distinct logits where the float32 softmax saturates at exactly 1 (overconfident members)', async () => {
    const confident = tinyRandomMlp(23, { nFeatures: 6, hidden: [16], numClasses: 3, scale: 25 });
    const rows = 20;
    const x = randomFeatures(24, rows, 6);
    const out = await withTarget(softmaxMlpOnnx(confident), (t) => t.predict(x, rows));
    const saturatedRows: number[] = [];
    for (let r = 0; r < rows; r++) {
      if (Math.max(...Array.from(out.probabilities.subarray(r * 3, r * 3 + 3))) === 1) saturatedRows.push(r);
    }
    expect(saturatedRows.length).toBeGreaterThanOrEqual(3);
    const logits = out.logits as Float32Array;
    expect(Array.from(logits).every(Number.isFinite)).toBe(true);
    // The top-class margin still separates rows that the probabilities can no longer tell apart.
    const margins = saturatedRows.map((r) => {
      const row = Array.from(logits.subarray(r * 3, r * 3 + 3)).sort((a, b) => b - a);
      return (row[0] as number) - (row[1] as number);
    });
    expect(new Set(margins).size).toBe(margins.length);
    expect(Math.min(...margins)).toBeGreaterThan(15);
  });

  it('runs row by row when the batch dimension is fixed to 1', async () => {
    const out = await withTarget(withFixedBatch(pytorchStyleOnnx(weights), 1), (t) => t.predict(features, nRows));
    expectClose(out.logits, expectedLogits, 1e-4);
  });

  it('rejects a feature buffer that is not nRows x nFeatures', async () => {
    await withTarget(softmaxMlpOnnx(weights), async (t) => {
      await expect(t.predict(new Float32Array(10), 2)).rejects.toMatchObject({ code: EngineErrorCode.InvalidOption });
    });
  });

  it('reports a model onnxruntime cannot load as ModelRuntimeFailure', async () => {
    const model = onnx.ModelProto.decode(pytorchStyleOnnx(weights));
    const graph = model.graph as onnx.GraphProto;
    graph.initializer.splice(0, 1); // the first MatMul now reads a tensor nothing produces
    const promise = OnnxTarget.load(onnx.ModelProto.encode(model).finish(), { fileLabel: 'model.onnx' });
    await expect(promise).rejects.toBeInstanceOf(EngineError);
    await expect(promise).rejects.toMatchObject({
      code: EngineErrorCode.ModelRuntimeFailure,
      message: expect.stringMatching(/^model\.onnx: onnxruntime cannot load/),
    });
  });
});
