import { SeededRandom } from '../random/seeded-random';
import { computeMembershipMetrics } from './membership-metrics';

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
    expect(m.epsilonLowerBound).toBeCloseTo(3.94, 2);
    expect(m.epsilonDelta).toBe(1e-5);
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
