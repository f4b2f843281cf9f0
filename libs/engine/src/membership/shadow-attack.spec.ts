import { SeededRandom } from '../random/seeded-random';
import { fitLogisticRegression, logisticLogOdds } from './shadow-attack';

describe('shadow attack classifier', () => {
  it('logistic regression recovers the direction of a separable-ish 2-feature problem', () => {
    const rng = new SeededRandom(5);
    const n = 400;
    const features = new Float64Array(n * 2);
    const target = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const member = i % 2;
      target[i] = member;
      features[i * 2] = rng.normal() + (member ? 1.5 : 0); // informative
      features[i * 2 + 1] = rng.normal(); // noise
    }
    const model = fitLogisticRegression(features, target, 2, 1e-3);
    expect(model.weights[1]).toBeGreaterThan(0.8);
    expect(Math.abs(model.weights[2]!)).toBeLessThan(0.3);
    const odds = logisticLogOdds(model, Float64Array.from([3, 0, -2, 0]), 2);
    expect(odds[0]).toBeGreaterThan(odds[1]!);
  });
});
