import { computeMembershipMetrics } from '../metrics/membership-metrics';
import { SeededRandom } from '../random/seeded-random';
import type { MembershipMetrics } from '../types';
import { membershipExposure, membershipSeverity, severityOfScore } from './severity';

function sample(n: number, rng: SeededRandom, shift: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() + shift);
}

/** Metrics with the given indicator values and everything else at the null level. */
function metricsWith(over: {
  tpr001Lower?: number;
  tpr01Lower?: number;
  epsilon?: number;
  auc?: number;
}): MembershipMetrics {
  return {
    auc: over.auc ?? 0.5,
    tpr: { '0.001': 0.001, '0.01': 0.01 },
    tprInterval: {
      '0.001': { lower: over.tpr001Lower ?? 0, upper: 0.01 },
      '0.01': { lower: over.tpr01Lower ?? 0, upper: 0.02 },
    },
    balancedAccuracy: 0.5,
    balancedAccuracyInterval: { lower: 0.48, upper: 0.52 },
    advantage: 0,
    epsilonLowerBound: over.epsilon ?? 0,
    epsilonDelta: 1e-5,
    rocPoints: [
      [0, 0],
      [1, 1],
    ],
    nMembers: 1000,
    nNonMembers: 1000,
  };
}

describe('membership severity', () => {
  it('a null attack (seeded, n=2000 each, same distribution) is none or low with a low score', () => {
    const rng = new SeededRandom(11);
    const m = computeMembershipMetrics(sample(2000, rng, 0), sample(2000, rng, 0));
    expect(Math.abs(m.auc - 0.5)).toBeLessThan(0.05);
    const exposure = membershipExposure(m);
    expect(['none', 'low']).toContain(exposure.severity);
    expect(exposure.score).toBeLessThan(20);
  });

  it('a strongly separated attack is high or critical', () => {
    const rng = new SeededRandom(12);
    const m = computeMembershipMetrics(sample(2000, rng, 3), sample(2000, rng, 0));
    expect(['high', 'critical']).toContain(membershipSeverity(m));
  });

  it('applies the documented thresholds at their boundaries', () => {
    expect(membershipSeverity(metricsWith({}))).toBe('none');
    expect(membershipSeverity(metricsWith({ tpr001Lower: 0.002 }))).toBe('low');
    expect(membershipSeverity(metricsWith({ tpr001Lower: 0.005 }))).toBe('medium');
    expect(membershipSeverity(metricsWith({ tpr001Lower: 0.0199 }))).toBe('medium');
    expect(membershipSeverity(metricsWith({ tpr001Lower: 0.02 }))).toBe('high');
    expect(membershipSeverity(metricsWith({ tpr001Lower: 0.1 }))).toBe('critical');
    expect(membershipSeverity(metricsWith({ tpr01Lower: 0.15 }))).toBe('high');
    expect(membershipSeverity(metricsWith({ epsilon: 0.5 }))).toBe('low');
    expect(membershipSeverity(metricsWith({ epsilon: 1.5 }))).toBe('medium');
    expect(membershipSeverity(metricsWith({ tpr01Lower: 0.5 }))).toBe('critical');
    expect(membershipSeverity(metricsWith({ auc: 0.55 }))).toBe('low');
  });

  it('AUC or epsilon alone never rate above medium: low-FPR evidence comes first', () => {
    const exposure = membershipExposure(metricsWith({ auc: 0.99 }));
    expect(exposure.severity).toBe('medium');
    expect(exposure.driver).toBe('auc');
    expect(membershipSeverity(metricsWith({ epsilon: 8, auc: 0.99 }))).toBe('medium');
    expect(membershipExposure(metricsWith({ auc: 0.99, tpr001Lower: 0.05 })).driver).toBe('tprAt0.1%FprLower');
  });

  it('maps scores to bands', () => {
    expect(severityOfScore(0)).toBe('none');
    expect(severityOfScore(9.99)).toBe('none');
    expect(severityOfScore(10)).toBe('low');
    expect(severityOfScore(59.9)).toBe('medium');
    expect(severityOfScore(85)).toBe('critical');
  });
});
