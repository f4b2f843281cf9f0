import { computeMembershipMetrics } from '../metrics/membership-metrics';
import { SeededRandom } from '../random/seeded-random';
import type { ExtractionFinding, MembershipAttackId, MembershipFinding } from '../types';
import { assessRisk } from './risk-score';
import { membershipSeverity } from './severity';

function finding(attack: MembershipAttackId, shift: number, seed: number): MembershipFinding {
  const rng = new SeededRandom(seed);
  const members = Float64Array.from({ length: 2000 }, () => rng.normal() + shift);
  const nonMembers = Float64Array.from({ length: 2000 }, () => rng.normal());
  const metrics = computeMembershipMetrics(members, nonMembers);
  return {
    kind: 'membership',
    attack,
    severity: membershipSeverity(metrics),
    reference: '',
    metrics,
    summary: '',
    mostExposed: [],
  };
}

describe('assessRisk', () => {
  it('rates a null result low with a low score', () => {
    const risk = assessRisk([finding('membership.loss', 0, 1), finding('membership.confidence', 0, 2)]);
    expect(risk.rating).toBe('low');
    expect(risk.score).toBeLessThan(20);
    expect(risk.rationale).toMatch(/No attack did measurably better than guessing/);
  });

  it('is driven by the worst finding and names it', () => {
    const risk = assessRisk([finding('membership.loss', 0, 3), finding('membership.lira', 3, 4)]);
    expect(['high', 'critical']).toContain(risk.rating);
    expect(risk.score).toBeGreaterThanOrEqual(60);
    expect(risk.score).toBeLessThanOrEqual(100);
    expect(risk.rationale).toContain('membership.lira');
    expect(risk.rationale).not.toContain('membership.loss');
  });

  it('a moderately leaky model scores between null and strongly separated', () => {
    const weak = assessRisk([finding('membership.loss', 0, 5)]).score;
    const mid = assessRisk([finding('membership.loss', 1, 6)]).score;
    const strong = assessRisk([finding('membership.loss', 3, 7)]).score;
    expect(weak).toBeLessThan(mid);
    expect(mid).toBeLessThan(strong);
  });

  it('when epsilon or AUC drives the score, still names the attack that picks out the most members', () => {
    // Every member scores 1; 30% of non-members score 0: non-members recognised with certainty, so the
    // epsilon bound's second inequality fires while no threshold flags members at a low FPR.
    const members = new Float64Array(2000).fill(1);
    const nonMembers = new Float64Array(2000).fill(1, 600);
    const metrics = computeMembershipMetrics(members, nonMembers);
    const epsilonDriven: MembershipFinding = {
      kind: 'membership',
      attack: 'membership.loss',
      severity: membershipSeverity(metrics),
      reference: '',
      metrics,
      summary: '',
      mostExposed: [],
    };
    const lira = finding('membership.lira', 0, 9);
    const memberFinding: MembershipFinding = {
      ...lira,
      metrics: {
        ...lira.metrics,
        tpr: { ...lira.metrics.tpr, '0.01': 0.05 },
        tprInterval: { ...lira.metrics.tprInterval, '0.01': { lower: 0.03, upper: 0.07 } },
      },
    };
    const risk = assessRisk([epsilonDriven, memberFinding]);
    expect(risk.rationale).toMatch(/^Driven by membership\.loss .*epsilon/);
    expect(risk.rationale).toContain(
      'Most members picked out: membership.lira flags 5.0% of members at 1% false-positive rate (95% lower bound 3.0%).',
    );
    // No such sentence when no attack beats guessing at 1% FPR.
    expect(assessRisk([epsilonDriven]).rationale).not.toContain('Most members picked out');
  });

  it('compares families: an extraction finding rated above every membership finding drives the rating', () => {
    const extraction: ExtractionFinding = {
      kind: 'extraction',
      attack: 'extraction.knockoff',
      severity: 'high',
      reference: 'Orekondy et al., CVPR 2019',
      summary: 'copied',
      metrics: {} as ExtractionFinding['metrics'],
      exposure: { score: 72.4, rationale: 'fidelity 0.95 within 2000 queries.' },
    };
    const nullMembership = finding('membership.loss', 0, 1);
    const risk = assessRisk([nullMembership, extraction]);
    expect(risk).toMatchObject({ score: 72, rating: 'high' });
    expect(risk.rationale).toBe('Driven by extraction.knockoff (severity high): fidelity 0.95 within 2000 queries.');
    // A stronger membership finding keeps the lead, with its own rationale.
    const leaking = assessRisk([finding('membership.lira', 3, 4), extraction]);
    expect(leaking.score).toBeGreaterThan(72);
    expect(leaking.rationale).toContain('membership.lira');
    // Extraction alone.
    expect(assessRisk([extraction]).score).toBe(72);
  });

  it('with no findings says nothing was measured', () => {
    expect(assessRisk([])).toMatchObject({ score: 0, rating: 'low' });
  });
});
