import { SeededRandom } from '../random/seeded-random';
import type { Activation, MlpWeights } from './mlp';
import { mlpForward, softmaxRows } from './mlp-forward';
import { mlpForwardOnnx } from './onnx-trainer/onnx-mlp-inference';

function randomMlp(widths: number[], activation: Activation, seed: number): MlpWeights {
  const rng = new SeededRandom(seed);
  const layers = widths.slice(0, -1).map((inputs, l) => {
    const outputs = widths[l + 1]!;
    return {
      inputs,
      outputs,
      weights: Float32Array.from({ length: inputs * outputs }, () => rng.normal() * 0.7),
      bias: Float32Array.from({ length: outputs }, () => rng.normal() * 0.3),
    };
  });
  return {
    architecture: { nFeatures: widths[0]!, hidden: widths.slice(1, -1), numClasses: widths.at(-1)!, activation },
    layers,
  };
}

describe('mlpForward', () => {
  it.each<Activation>(['relu', 'tanh', 'sigmoid'])(
    'agrees with onnxruntime (float32 kernels) for a %s MLP',
    async (activation) => {
      const weights = randomMlp([6, 9, 5, 4], activation, 7);
      const rng = new SeededRandom(8);
      const nRows = 23;
      const features = Float32Array.from({ length: nRows * 6 }, () => rng.normal() * 3);
      const ours = mlpForward(weights, features, nRows);
      const ort = await mlpForwardOnnx(weights, features, nRows);
      for (let i = 0; i < ours.logits.length; i++) {
        expect(ours.logits[i]).toBeCloseTo(ort.logits![i]!, 4);
        expect(ours.probabilities[i]).toBeCloseTo(ort.probabilities[i]!, 5);
      }
    },
  );

  it('is a multinomial logistic regression when there are no hidden layers', () => {
    const weights = randomMlp([3, 2], 'relu', 1);
    const x = new Float32Array([1, -2, 0.5]);
    const l = weights.layers[0]!;
    const expected = [0, 1].map(
      (j) => l.bias[j]! + x[0]! * l.weights[j]! + x[1]! * l.weights[2 + j]! + x[2]! * l.weights[4 + j]!,
    );
    const out = mlpForward(weights, x, 1);
    expect(out.logits[0]).toBeCloseTo(expected[0]!, 5);
    expect(out.logits[1]).toBeCloseTo(expected[1]!, 5);
  });

  it('softmax stays finite and sums to one for huge logits', () => {
    const p = softmaxRows([1000, 999, -1000, 5e4, 5e4, 0], 2, 3);
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 6);
    expect(p[3]).toBeCloseTo(0.5, 6);
  });

  it('refuses features that do not fit the architecture', () => {
    const weights = randomMlp([4, 3], 'relu', 1);
    expect(() => mlpForward(weights, new Float32Array(7), 2)).toThrow(
      expect.objectContaining({ code: 'MODEL_SHAPE_MISMATCH' }),
    );
  });
});
