import { SeededRandom } from '../../random/seeded-random';
import { logitScaledConfidence } from '../../membership/logit-scaling';
import type { Activation, MlpWeights } from '../mlp';
import { mlpForward } from '../mlp-forward';
import { StackedMlpInference, mlpForwardOnnx } from './onnx-mlp-inference';

// Inference on onnxruntime (float32 kernels) against the plain-JS forward pass (double precision): the logits
// agree to float32 rounding, the probabilities (softmax of the logits on the host in double precision in both)
// and the LiRA scores computed from them too.

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

function expectClose(actual: Float32Array, expected: Float32Array | Float64Array, relative: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(1, Math.abs(e)));
  }
  expect(worst).toBeLessThan(relative);
}

describe('MLP inference on onnxruntime', () => {
  it.each<Activation>(['relu', 'tanh', 'sigmoid'])(
    'equals the plain-JS forward pass for 3 stacked %s MLPs: logits, probabilities and LiRA scores',
    async (activation) => {
      const models = [1, 2, 3].map((s) => randomMlp([6, 9, 5, 4], activation, s + 10 * activation.length));
      const rng = new SeededRandom(8);
      const nRows = 101;
      const features = Float32Array.from({ length: nRows * 6 }, () => rng.normal() * 3);
      const labels = Int32Array.from({ length: nRows }, () => rng.int(4));
      // a small activation bound: the 101 rows go through the session in chunks of 16
      const inference = await StackedMlpInference.create(models, 16 * 3 * 9);
      try {
        const all = await inference.predictAll(features, nRows);
        expect(all).toHaveLength(3);
        models.forEach((w, m) => {
          const js = mlpForward(w, features, nRows);
          const ort = all[m]!;
          expectClose(ort.logits!, js.logits, 1e-5);
          expectClose(ort.probabilities, js.probabilities, 1e-5);
          expectClose(
            Float32Array.from(logitScaledConfidence(ort, labels, nRows)),
            logitScaledConfidence(js, labels, nRows),
            1e-4,
          );
        });
      } finally {
        await inference.release();
      }
    },
  );

  it('equals the plain-JS forward pass without hidden layers and for a wide first layer', async () => {
    const rng = new SeededRandom(3);
    for (const widths of [
      [5, 3],
      [300, 32, 10],
    ]) {
      const w = randomMlp(widths, 'relu', widths.length);
      const nRows = 40;
      const features = Float32Array.from({ length: nRows * widths[0]! }, () => rng.next());
      const ort = await mlpForwardOnnx(w, features, nRows);
      const js = mlpForward(w, features, nRows);
      expectClose(ort.logits!, js.logits, 1e-4);
      expectClose(ort.probabilities, js.probabilities, 1e-5);
    }
  });

  it('refuses features that do not fit the architecture and models of different architectures', async () => {
    const w = randomMlp([4, 3], 'relu', 1);
    await expect(mlpForwardOnnx(w, new Float32Array(7), 2)).rejects.toMatchObject({ code: 'MODEL_SHAPE_MISMATCH' });
    await expect(StackedMlpInference.create([w, randomMlp([4, 2, 3], 'relu', 2)])).rejects.toMatchObject({
      code: 'MODEL_SHAPE_MISMATCH',
    });
  });
});
