import { SeededRandom } from '../random/seeded-random';
import { aucInterval } from './auc-interval';
import { computeMembershipMetrics, epsilonAtThreshold } from './membership-metrics';

function sample(n: number, rng: SeededRandom, shift: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() + shift);
}

describe('computeMembershipMetrics', () => {
  it('reproduces the brief: 1000/10000 members at 10/10000 non-members -> eps point 4.61, 95% lower bound 3.94', () => {
    const members = new Float64Array(10000);
    members.fill(1, 0, 1000);
    const nonMembers = new Float64Array(10000);
    nonMembers.fill(1, 0, 10);
    const m = computeMembershipMetrics(members, nonMembers);
    expect(Math.log(0.1 / 0.001)).toBeCloseTo(4.61, 2);
    // 3.94 is the bound at that one threshold, fixed in advance.
    expect(epsilonAtThreshold(1000, 10000, 10, 10000, 1e-5, 0.95)).toBeCloseTo(3.94, 2);
    // The reported bound examines a grid of 15 + 15 thresholds (fp <= 0, 1, 2, ..., 8192 and members missed
    // <= 0, 1, ..., 8192), each at 1 - 0.05/30 (Bonferroni), so it holds at 95% overall and is lower.
    expect(m.epsilonGrid).toHaveLength(30);
    expect(m.epsilonLowerBound).toBeCloseTo(epsilonAtThreshold(1000, 10000, 10, 10000, 1e-5, 1 - 0.05 / 30), 12);
    expect(m.epsilonLowerBound).toBeGreaterThan(3.5);
    expect(m.epsilonLowerBound).toBeLessThan(3.94);
    expect(m.epsilonDelta).toBe(1e-5);
    expect(m.epsilonNote).toMatch(/not a differential-privacy audit/);
    expect(m.operatingCounts['0.001']).toEqual({ tp: 1000, fp: 10 });
    expect(m.fprInterval['0.001'].lower).toBeLessThan(0.001);
    expect(m.fprInterval['0.001'].upper).toBeGreaterThan(0.001);
    // TPR at exactly 0.1% FPR: the 1000 flagged members
    expect(m.tpr['0.001']).toBeCloseTo(0.1, 12);
    expect(m.tprInterval['0.001'].lower).toBeLessThan(0.1);
    expect(m.tprInterval['0.001'].upper).toBeGreaterThan(0.1);
    expect(m.advantage).toBeCloseTo(0.1 - 0.001, 12);
    expect(m.balancedAccuracy).toBeCloseTo((1 + 0.099) / 2, 12);
  });

  it('a null attack (same distribution) has AUC near 0.5, TPR near FPR and no epsilon', () => {
    const rng = new SeededRandom(7);
    const m = computeMembershipMetrics(sample(2000, rng, 0), sample(2000, rng, 0));
    expect(Math.abs(m.auc - 0.5)).toBeLessThan(0.05);
    expect(m.tpr['0.01']).toBeLessThan(0.03);
    expect(m.tprInterval['0.01'].lower).toBeLessThan(0.015);
    expect(m.epsilonLowerBound).toBeLessThan(0.25);
    expect(m.balancedAccuracyInterval.lower).toBeLessThan(0.5);
    expect(m.nMembers).toBe(2000);
  });

  it('the epsilon bound is a 95% bound over its thresholds: a null attack shows epsilon > 0 in at most 5% of samples', () => {
    // The max over every threshold of per-threshold 95% bounds would be positive far more often.
    const rng = new SeededRandom(10);
    let positive = 0;
    for (let d = 0; d < 200; d++) {
      if (computeMembershipMetrics(sample(100, rng, 0), sample(100, rng, 0)).epsilonLowerBound > 0) positive++;
    }
    expect(positive / 200).toBeLessThanOrEqual(0.05);
  });

  it('AUC interval: the null Mann-Whitney variance at 0.5, covers the point estimate, narrows with n', () => {
    const z = 1.959964;
    const small = aucInterval(0.5, 30, 30);
    expect(small.lower).toBeCloseTo(0.5 - z * Math.sqrt(61 / (12 * 900)), 5);
    expect(small.upper).toBeCloseTo(1 - small.lower, 12);
    const big = aucInterval(0.7, 1000, 1000);
    expect(big.lower).toBeLessThan(0.7);
    expect(big.upper).toBeGreaterThan(0.7);
    expect(big.upper - big.lower).toBeLessThan(small.upper - small.lower);
    // A stricter confidence gives a wider interval.
    expect(aucInterval(0.7, 1000, 1000, 0.999).lower).toBeLessThan(big.lower);
  });

  it('a separated attack has high AUC, high low-FPR TPR and a large epsilon bound', () => {
    const rng = new SeededRandom(8);
    const m = computeMembershipMetrics(sample(2000, rng, 4), sample(2000, rng, 0));
    expect(m.auc).toBeGreaterThan(0.99);
    expect(m.tpr['0.001']).toBeGreaterThan(0.5);
    expect(m.tprInterval['0.001'].lower).toBeGreaterThan(0.4);
    expect(m.epsilonLowerBound).toBeGreaterThan(3);
    expect(m.balancedAccuracyInterval.lower).toBeGreaterThan(0.9);
    expect(m.balancedAccuracyInterval.upper).toBeGreaterThanOrEqual(m.balancedAccuracy);
  });

  it('thins ROC points for a log-log plot, keeping the end points and low-FPR detail', () => {
    const rng = new SeededRandom(9);
    const m = computeMembershipMetrics(sample(5000, rng, 1), sample(5000, rng, 0));
    const pts = m.rocPoints;
    expect(pts.length).toBeLessThanOrEqual(200);
    expect(pts.length).toBeGreaterThan(50);
    expect(pts[0]).toEqual([0, 0]);
    expect(pts[pts.length - 1]).toEqual([1, 1]);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThanOrEqual(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeGreaterThanOrEqual(pts[i - 1]![1]);
    }
    // log spacing: many points below 1% FPR, not just a handful
    expect(pts.filter(([fpr]) => fpr > 0 && fpr <= 0.01).length).toBeGreaterThan(30);
    // the headline TPR@1% is on the plotted curve
    expect(pts.some(([fpr, tpr]) => fpr <= 0.01 && tpr === m.tpr['0.01'])).toBe(true);
  });

  it('throws an internal error naming the attack for non-finite scores', () => {
    expect(() =>
      computeMembershipMetrics(Float64Array.of(1, NaN), Float64Array.of(0), { attack: 'membership.loss' }),
    ).toThrow(/membership\.loss.*non-finite/);
  });
});
