import { clopperPearson } from '../metrics/clopper-pearson';
import { SeededRandom } from '../random/seeded-random';
import { clusteredProportion } from './clustered-proportion';

describe('clusteredProportion (Clopper-Pearson on the effective sample size)', () => {
  it('one outcome per cluster is the plain Clopper-Pearson interval', () => {
    const outcomes = [true, true, false, true, true, true, false, true, true, true].map((y) => [y]);
    const r = clusteredProportion(outcomes);
    const cp = clopperPearson(8, 10);
    expect(r.designEffect).toBe(1);
    expect(r.interval.lower).toBeCloseTo(cp.lower, 10);
    expect(r.interval.upper).toBeCloseTo(cp.upper, 10);
  });

  it('restarts that copy their class count once per class, not once per restart', () => {
    const perClass = [true, true, false, true, true, true, false, true, true, true];
    const copied = clusteredProportion(perClass.map((y) => [y, y, y, y, y]));
    const cp = clopperPearson(8, 10);
    expect(copied.designEffect).toBeCloseTo(5, 10);
    expect(copied.effectiveSize).toBeCloseTo(10, 10);
    expect(copied.interval.lower).toBeCloseTo(cp.lower, 8);
    expect(copied.interval.upper).toBeCloseTo(cp.upper, 8);
    // All alike: the ICC cannot be estimated, so only the classes count.
    const all = clusteredProportion(Array.from({ length: 10 }, () => [true, true, true]));
    expect(all.effectiveSize).toBeCloseTo(10, 10);
    expect(all.interval.lower).toBeCloseTo(clopperPearson(10, 10).lower, 8);
  });

  it('independent restarts keep (about) their full sample size and the interval covers at the nominal rate', () => {
    const rng = new SeededRandom(3);
    let covered = 0;
    const trials = 400;
    let deffSum = 0;
    for (let t = 0; t < trials; t++) {
      const clusters = Array.from({ length: 10 }, () => Array.from({ length: 4 }, () => rng.next() < 0.3));
      const r = clusteredProportion(clusters);
      deffSum += r.designEffect;
      if (r.interval.lower <= 0.3 && 0.3 <= r.interval.upper) covered++;
    }
    expect(deffSum / trials).toBeLessThan(1.5);
    expect(covered / trials).toBeGreaterThan(0.93);
  });

  it('class-level effects (some classes always recognised, some never) widen the interval: it still covers', () => {
    const rng = new SeededRandom(5);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      // Each class has its own rate, drawn from {0.05, 0.95}; the population rate is 0.5.
      const clusters = Array.from({ length: 10 }, () => {
        const rate = rng.next() < 0.5 ? 0.05 : 0.95;
        return Array.from({ length: 5 }, () => rng.next() < rate);
      });
      const r = clusteredProportion(clusters);
      if (r.interval.lower <= 0.5 && 0.5 <= r.interval.upper) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
  });
});
