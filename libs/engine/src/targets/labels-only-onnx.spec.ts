/**
 * @jest-environment ./test/fixtures/onnxruntime-jest-environment.js
 */
// A labels-only ONNX model (the MLP's logits fed to ArgMax): inspected as outputKind 'labels' once the
// number of classes is declared, run as one-hot probabilities of the model's own argmax.
import {
  argmaxMlpOnnx,
  mlpForwardLogits,
  randomFeatures,
  softmaxMlpOnnx,
  tinyRandomMlp,
  withFixedBatch,
} from '../../../../test/fixtures/onnx-fixtures';
import { EngineError, EngineErrorCode } from '../errors';
import { inspectOnnx } from './onnx-inspection';
import { OnnxTarget } from './onnx-target';

const weights = tinyRandomMlp(31, { nFeatures: 5, hidden: [8], numClasses: 4 });
const nRows = 29;
const features = randomFeatures(32, nRows, 5);

function expectedArgmax(): number[] {
  const logits = mlpForwardLogits(weights, features, nRows);
  return Array.from({ length: nRows }, (_, r) => {
    const row = Array.from(logits.subarray(r * 4, r * 4 + 4));
    return row.indexOf(Math.max(...row));
  });
}

function engineError(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected an EngineError');
}

describe('labels-only ONNX models', () => {
  it.each([
    ['ArgMax keepdims=0 -> [batch]', false],
    ['ArgMax keepdims=1 -> [batch, 1]', true],
  ])('inspects %s as outputKind labels with the declared number of classes', (_, keepdims) => {
    const sig = inspectOnnx(argmaxMlpOnnx(weights, { keepdims }), { numClasses: 4 });
    expect(sig).toMatchObject({ outputKind: 'labels', numClasses: 4, nFeatures: 5, outputName: 'label' });
    expect(sig.logitsTensorName).toBeUndefined();
  });

  it('refuses a labels-only model whose number of classes is not declared, saying how to declare it', () => {
    const e = engineError(() => inspectOnnx(argmaxMlpOnnx(weights), { fileLabel: 'argmax.onnx' }));
    expect(e.code).toBe(EngineErrorCode.InvalidOption);
    expect(e.message).toMatch(
      /^argmax\.onnx: output 'label' holds class indices .*--num-classes, or --classes with their names/,
    );
    expect(engineError(() => inspectOnnx(argmaxMlpOnnx(weights), { numClasses: 1 })).code).toBe(
      EngineErrorCode.InvalidOption,
    );
  });

  it('refuses a declared class count that contradicts a scores model', () => {
    const e = engineError(() => inspectOnnx(softmaxMlpOnnx(weights), { numClasses: 3 }));
    expect(e.code).toBe(EngineErrorCode.InvalidOption);
    expect(e.message).toMatch(/outputs 4 class scores, but 3 classes were declared/);
    expect(inspectOnnx(softmaxMlpOnnx(weights), { numClasses: 4 }).numClasses).toBe(4);
  });

  it.each([
    ['dynamic batch, batched', argmaxMlpOnnx(weights), 8],
    ['fixed batch 1', withFixedBatch(argmaxMlpOnnx(weights, { keepdims: true }), 1), undefined],
  ])('predicts one-hot rows of the model argmax (%s), with no logits', async (_, bytes, batchSize) => {
    const target = await OnnxTarget.load(bytes, { numClasses: 4, ...(batchSize ? { batchSize } : {}) });
    try {
      expect(target.signature.outputKind).toBe('labels');
      const out = await target.predict(features, nRows);
      expect(out.logits).toBeUndefined();
      const expected = new Float32Array(nRows * 4);
      expectedArgmax().forEach((c, r) => (expected[r * 4 + c] = 1));
      expect(out.probabilities).toEqual(expected);
    } finally {
      await target.dispose();
    }
  });

  it('refuses, at inference, a class index outside the declared classes (declared too few)', async () => {
    // The argmax of this model reaches class 3, beyond a declared 3 classes.
    expect(expectedArgmax()).toContain(3);
    const target = await OnnxTarget.load(argmaxMlpOnnx(weights), { numClasses: 3, fileLabel: 'argmax.onnx' });
    try {
      await expect(target.predict(features, nRows)).rejects.toMatchObject({
        code: EngineErrorCode.ModelRuntimeFailure,
        message: expect.stringMatching(
          /not a class index from 0 to 2 \(was the number of classes declared correctly\?\)/,
        ),
      });
    } finally {
      await target.dispose();
    }
  });
});
