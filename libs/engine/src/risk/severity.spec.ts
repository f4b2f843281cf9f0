import { computeMembershipMetrics } from '../metrics/membership-metrics';
import { SeededRandom } from '../random/seeded-random';
import type { MembershipMetrics } from '../types';
import {
  exposureOfIndicators,
  indicatorConfidence,
  indicatorValues,
  MembershipIndicator,
  membershipExposure,
  membershipSeverity,
  severityOfScore,
  tprEvidence,
} from './severity';

function sample(n: number, rng: SeededRandom, shift: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal() + shift);
}

/** Indicator values with the given overrides and everything else at the guessing level. */
function valuesWith(over: Partial<Record<MembershipIndicator, number>>): Record<MembershipIndicator, number> {
  return { 'tprAt0.1%FprLower': 0, 'tprAt1%FprLower': 0, epsilonLowerBound: 0, auc: 0.5, ...over };
}

/** nPos members of which `tp` score 1 and the rest 0; nNeg non-members of which `fp` score 1. */
function stepMetrics(tp: number, nPos: number, fp: number, nNeg: number): MembershipMetrics {
  const members = new Float64Array(nPos).fill(1, 0, tp);
  const nonMembers = new Float64Array(nNeg).fill(1, 0, fp);
  return computeMembershipMetrics(members, nonMembers);
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

  it('a strongly separated attack is high or critical, alone or as one of three findings', () => {
    const rng = new SeededRandom(12);
    const m = computeMembershipMetrics(sample(2000, rng, 3), sample(2000, rng, 0));
    expect(['high', 'critical']).toContain(membershipSeverity(m));
    expect(['high', 'critical']).toContain(membershipSeverity(m, 3));
  });

  it('real leakage stays visible: 10% of members at 0.1% FPR with 1000 per side rates high, among 3 findings too', () => {
    // Worst case for the claim: the one false positive 0.1% allows sits among the 100 flagged members.
    const step = stepMetrics(100, 1000, 1, 1000);
    expect(step.tpr['0.001']).toBeCloseTo(0.1, 12);
    expect(membershipSeverity(step, 1)).toBe('high');
    expect(membershipSeverity(step, 3)).toBe('high');
    // A Gaussian attack with the same operating point (TPR 10% at FPR 0.1%: shift 3.09 - 1.28 = 1.81).
    let highs = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new SeededRandom(100 + seed);
      const m = computeMembershipMetrics(sample(1000, rng, 1.81), sample(1000, rng, 0));
      if (['high', 'critical'].includes(membershipSeverity(m, 3))) highs++;
    }
    expect(highs).toBeGreaterThanOrEqual(18);
  });

  it('judges members flagged against the upper bound of non-members flagged at the same threshold', () => {
    // 30 per side, 3 of 30 members above every non-member: 10% of members "at 0.1% FPR", but with 30
    // non-members zero false alarms only bounds the FPR below ~12% (95%): no evidence at that level.
    const small = stepMetrics(3, 30, 0, 30);
    expect(small.tpr['0.001']).toBeCloseTo(0.1, 12);
    expect(small.fprInterval['0.001'].upper).toBeGreaterThan(0.1);
    expect(tprEvidence(small, '0.001', 0.95)).toBeLessThan(0.001);
    expect(membershipSeverity(small)).toBe('none');
    // The same 10% with 10000 non-members and none flagged is strong evidence.
    const large = stepMetrics(3000, 30000, 0, 10000);
    expect(tprEvidence(large, '0.001', 0.95)).toBeGreaterThan(0.09);
    // A perfect separation at 30 per side is still serious: TPR_lo 0.88 against FPR_hi 0.12.
    expect(['high', 'critical']).toContain(membershipSeverity(stepMetrics(30, 30, 0, 30), 3));
  });

  it('corrects for the number of findings: bounds at 1 - 0.05 / (4 x findings), so more findings rate no higher', () => {
    expect(indicatorConfidence(1)).toBeCloseTo(1 - 0.05 / 4, 12);
    expect(indicatorConfidence(3)).toBeCloseTo(1 - 0.05 / 12, 12);
    const rng = new SeededRandom(13);
    const m = computeMembershipMetrics(sample(300, rng, 0.8), sample(300, rng, 0));
    const one = indicatorValues(m, 1);
    const three = indicatorValues(m, 3);
    for (const k of Object.keys(one) as MembershipIndicator[]) expect(three[k]).toBeLessThanOrEqual(one[k]);
    expect(membershipExposure(m, 3).score).toBeLessThanOrEqual(membershipExposure(m, 1).score);
    // The AUC indicator is a lower bound, below the point estimate.
    expect(one.auc).toBeLessThan(m.auc);
    expect(one.auc).toBeLessThan(m.aucInterval.lower);
  });

  it('applies the documented thresholds at their boundaries', () => {
    const severity = (over: Partial<Record<MembershipIndicator, number>>) =>
      exposureOfIndicators(valuesWith(over)).severity;
    expect(severity({})).toBe('none');
    expect(severity({ 'tprAt0.1%FprLower': 0.002 })).toBe('low');
    expect(severity({ 'tprAt0.1%FprLower': 0.005 })).toBe('medium');
    expect(severity({ 'tprAt0.1%FprLower': 0.0199 })).toBe('medium');
    expect(severity({ 'tprAt0.1%FprLower': 0.02 })).toBe('high');
    expect(severity({ 'tprAt0.1%FprLower': 0.1 })).toBe('critical');
    expect(severity({ 'tprAt1%FprLower': 0.15 })).toBe('high');
    expect(severity({ epsilonLowerBound: 0.5 })).toBe('low');
    expect(severity({ epsilonLowerBound: 1.5 })).toBe('medium');
    expect(severity({ 'tprAt1%FprLower': 0.5 })).toBe('critical');
    expect(severity({ auc: 0.55 })).toBe('low');
    expect(severity({ 'tprAt0.1%FprLower': -0.2 })).toBe('none');
  });

  it('AUC or epsilon alone never rate above medium: low-FPR evidence comes first', () => {
    const exposure = exposureOfIndicators(valuesWith({ auc: 0.99 }));
    expect(exposure.severity).toBe('medium');
    expect(exposure.driver).toBe('auc');
    expect(exposureOfIndicators(valuesWith({ epsilonLowerBound: 8, auc: 0.99 })).severity).toBe('medium');
    expect(exposureOfIndicators(valuesWith({ auc: 0.99, 'tprAt0.1%FprLower': 0.05 })).driver).toBe('tprAt0.1%FprLower');
  });

  it('maps scores to bands', () => {
    expect(severityOfScore(0)).toBe('none');
    expect(severityOfScore(9.99)).toBe('none');
    expect(severityOfScore(10)).toBe('low');
    expect(severityOfScore(59.9)).toBe('medium');
    expect(severityOfScore(85)).toBe('critical');
  });
});
