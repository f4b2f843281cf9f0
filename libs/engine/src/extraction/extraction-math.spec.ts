import { tinyRandomMlp } from '../../../../test/fixtures/onnx-fixtures';
import { SeededRandom } from '../random/seeded-random';
import { mlpForward } from '../training/mlp-forward';
import { roundingUnit } from './equation-solving-attack';
import { QueryMeter, queryLadder } from './extraction-attack';
import { leastSquares, solveNormalEquations } from './least-squares';
import { logitInputGradient } from './surrogate';

describe('extraction maths', () => {
  it('the input gradient of a logit matches central finite differences', () => {
    const weights = tinyRandomMlp(4);
    const d = weights.architecture.nFeatures;
    const rng = new SeededRandom(2);
    const x = Float64Array.from({ length: d }, () => rng.normal());
    const logit = (v: Float64Array, cls: number) => mlpForward(weights, Float32Array.from(v), 1).logits[cls]!;
    for (let cls = 0; cls < weights.architecture.numClasses; cls++) {
      const grad = logitInputGradient(weights, x, cls);
      for (let j = 0; j < d; j++) {
        const h = 1e-2;
        const plus = x.slice();
        const minus = x.slice();
        plus[j]! += h;
        minus[j]! -= h;
        expect(grad[j]!).toBeCloseTo((logit(plus, cls) - logit(minus, cls)) / (2 * h), 2);
      }
    }
  });

  it('least squares by QR and by normal equations agree with an exact solution', () => {
    const rng = new SeededRandom(3);
    const n = 12;
    const m = 4;
    const truth = Float64Array.from({ length: m }, () => rng.normal());
    const a = Float64Array.from({ length: n * m }, () => rng.normal());
    const b = Float64Array.from({ length: n }, (_, r) => truth.reduce((s, t, j) => s + t * a[r * m + j]!, 0));
    const qr = leastSquares(a, n, m, b, 1);
    const ata = new Float64Array(m * m);
    const atb = new Float64Array(m);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < m; i++) {
        atb[i]! += a[r * m + i]! * b[r]!;
        for (let j = 0; j < m; j++) ata[i * m + j]! += a[r * m + i]! * a[r * m + j]!;
      }
    const normal = solveNormalEquations(ata, atb, m);
    truth.forEach((t, i) => {
      expect(qr[i]!).toBeCloseTo(t, 9);
      expect(normal[i]!).toBeCloseTo(t, 9);
    });
  });

  it('reads the rounding unit off the answers', () => {
    expect(roundingUnit(Float32Array.of(0.12, 0.88, 0))).toBeCloseTo(0.01, 12);
    expect(roundingUnit(Float32Array.of(0.1234, 0.8766))).toBeCloseTo(1e-4, 12);
    expect(roundingUnit(Float32Array.of(0.123456789, 0.876543211))).toBeLessThan(1e-20);
  });

  it('ladders budgets geometrically and ends at the budget', () => {
    expect(queryLadder(10_000)).toEqual([100, 250, 500, 1000, 2000, 5000, 10_000]);
    expect(queryLadder(600)).toEqual([100, 250, 500, 600]);
    expect(queryLadder(50)).toEqual([50]);
  });

  it('the query meter refuses a batch beyond the budget before the target sees it', async () => {
    let seen = 0;
    const target = {
      signature: {
        inputName: 'x',
        nFeatures: 1,
        numClasses: 2,
        outputName: 'p',
        outputKind: 'probabilities' as const,
        opset: 13,
      },
      predict: (_f: Float32Array, n: number) => {
        seen += n;
        return Promise.resolve({ probabilities: new Float32Array(2 * n) });
      },
      dispose: () => Promise.resolve(),
    };
    const meter = new QueryMeter(target, 10);
    await meter.ask(new Float32Array(8), 8);
    await expect(meter.ask(new Float32Array(3), 3)).rejects.toThrow(/asked for 3 queries with 2 of its budget left/);
    expect(seen).toBe(8);
    expect(meter.used).toBe(8);
  });
});
