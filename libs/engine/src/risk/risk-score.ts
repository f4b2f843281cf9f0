// One risk rating for an audit: the worst finding drives it. Privacy risk does not average out: a model is
// as exposed as the strongest attack against it shows (docs/risk-model.md). Taking the worst of several
// findings is a multiple comparison: every finding's indicators are read at the confidence corrected for
// the number of findings (severity.ts, indicatorConfidence), so more attacks do not mean more false alarms.

import { membershipFindings, nonMembershipFindings } from '../report/findings';
import type { Finding, MembershipFinding, RiskAssessment, RiskRating } from '../types';
import {
  FAMILY_CONFIDENCE,
  INDICATOR_DESCRIPTIONS,
  indicatorConfidence,
  INDICATORS_PER_FINDING,
  membershipExposure,
  MembershipExposure,
} from './severity';

/** Rating bands on the 0-100 score; the same cut points as the severity bands ('none' folds into 'low'). */
export const RISK_RATING_BANDS: ReadonlyArray<{ readonly rating: RiskRating; readonly minScore: number }> = [
  { rating: 'critical', minScore: 85 },
  { rating: 'high', minScore: 60 },
  { rating: 'medium', minScore: 30 },
  { rating: 'low', minScore: 0 },
];

export function ratingOfScore(score: number): RiskRating {
  for (const band of RISK_RATING_BANDS) if (score >= band.minScore) return band.rating;
  return 'low';
}

/**
 * The worst family drives the rating: membership findings as below; an extraction or inversion finding carries
 * its own exposure score under its family's documented rule (docs/risk-model.md), on the same 0-100 bands.
 */
export function assessRisk(allFindings: readonly Finding[]): RiskAssessment {
  const membership = assessMembershipRisk(membershipFindings(allFindings));
  let worstOther: { attack: string; severity: string; score: number; rationale: string } | undefined;
  for (const f of nonMembershipFindings(allFindings)) {
    if (!worstOther || f.exposure.score > worstOther.score) {
      worstOther = { attack: f.attack, severity: f.severity, score: f.exposure.score, rationale: f.exposure.rationale };
    }
  }
  if (!worstOther || (membership && membership.score >= Math.floor(worstOther.score))) {
    return membership ?? { score: 0, rating: 'low', rationale: 'No attack was run, so no leakage was measured.' };
  }
  const score = Math.floor(worstOther.score);
  return {
    score,
    rating: ratingOfScore(score),
    rationale: `Driven by ${worstOther.attack} (severity ${worstOther.severity}): ${worstOther.rationale}`,
  };
}

function assessMembershipRisk(findings: readonly MembershipFinding[]): RiskAssessment | undefined {
  if (findings.length === 0) return undefined;
  let worst: { finding: MembershipFinding; exposure: MembershipExposure } | undefined;
  for (const finding of findings) {
    const exposure = membershipExposure(finding.metrics, findings.length);
    if (!worst || exposure.score > worst.exposure.score) worst = { finding, exposure };
  }
  const { finding, exposure } = worst as { finding: MembershipFinding; exposure: MembershipExposure };
  // Floor so that a score shown as 60 is never rated below 'high' by rounding.
  const score = Math.floor(exposure.score);
  const rating = ratingOfScore(score);
  const evidence = `${INDICATOR_DESCRIPTIONS[exposure.driver]} ${formatIndicator(exposure.driver, exposure.driverValue)}`;
  const confidence = `Bounds at ${(100 * indicatorConfidence(findings.length)).toFixed(2)}% each, so that all ${INDICATORS_PER_FINDING * findings.length} indicators of the ${findings.length} finding(s) hold together at ${100 * FAMILY_CONFIDENCE}%.`;
  const rationale =
    exposure.score < 10
      ? `No attack did measurably better than guessing; the strongest, ${finding.attack}, reached ${evidence}. ${confidence}`
      : `Driven by ${finding.attack} (severity ${exposure.severity}): ${evidence}.${memberEvidence(findings, exposure)} ${confidence}`;
  return { score, rating, rationale };
}

/**
 * When the score comes from a secondary indicator (epsilon, AUC), a privacy officer still wants to know how many
 * members the strongest attack actually picks out at a low false-positive rate: named here when the 95% lower
 * bound on members flagged at 1% FPR exceeds both guessing (1%) and the 95% upper bound on non-members flagged
 * at the same threshold.
 */
function memberEvidence(findings: readonly MembershipFinding[], driving: MembershipExposure): string {
  if (driving.driver === 'tprAt0.1%FprLower' || driving.driver === 'tprAt1%FprLower') return '';
  const margin = (f: MembershipFinding): number =>
    f.metrics.tprInterval['0.01'].lower - Math.max(0.01, f.metrics.fprInterval['0.01'].upper);
  let best: MembershipFinding | undefined;
  for (const f of findings) if (!best || margin(f) > margin(best)) best = f;
  if (!best || margin(best) <= 0) return '';
  const tpr = (100 * best.metrics.tpr['0.01']).toFixed(1);
  const lower = (100 * best.metrics.tprInterval['0.01'].lower).toFixed(1);
  return ` Most members picked out: ${best.attack} flags ${tpr}% of members at 1% false-positive rate (95% lower bound ${lower}%).`;
}

function formatIndicator(driver: MembershipExposure['driver'], value: number): string {
  switch (driver) {
    case 'tprAt0.1%FprLower':
    case 'tprAt1%FprLower':
      // Below zero when the false-positive bound exceeds the members flagged: nothing beyond guessing.
      return `${(100 * Math.max(0, value)).toFixed(2)}%`;
    case 'epsilonLowerBound':
      return value.toFixed(2);
    case 'auc':
      return value.toFixed(3);
  }
}
