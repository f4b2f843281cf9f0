import { SeededRandom } from '../random/seeded-random';
import { aucInterval, standardNormalUpperQuantile } from './auc-interval';
import { aucFromScores } from './roc';

describe('aucInterval', () => {
  it('normal quantiles match the tables', () => {
    expect(standardNormalUpperQuantile(0.025)).toBeCloseTo(1.959964, 5);
    expect(standardNormalUpperQuantile(0.05)).toBeCloseTo(1.644854, 5);
    expect(standardNormalUpperQuantile(0.5)).toBeCloseTo(0, 6);
    expect(standardNormalUpperQuantile(0.975)).toBeCloseTo(-1.959964, 5);
    expect(() => standardNormalUpperQuantile(0)).toThrow(/tail/);
  });

  it('covers the AUC of a null attack in about 95% of samples at 30 per side', () => {
    // True AUC 0.5; the floored variance keeps the interval from being optimistic at small n.
    const rng = new SeededRandom(3);
    let misses = 0;
    const draws = 400;
    for (let d = 0; d < draws; d++) {
      const members = Float64Array.from({ length: 30 }, () => rng.normal());
      const nonMembers = Float64Array.from({ length: 30 }, () => rng.normal());
      const { lower, upper } = aucInterval(aucFromScores(members, nonMembers), 30, 30);
      if (lower > 0.5 || upper < 0.5) misses++;
    }
    expect(misses / draws).toBeLessThanOrEqual(0.07);
  });

  it('stays inside [0, 1]', () => {
    expect(aucInterval(1, 30, 30).upper).toBe(1);
    expect(aucInterval(0, 30, 30).lower).toBe(0);
    expect(aucInterval(0.8, 1, 1)).toMatchObject({ lower: 0 });
  });
});
