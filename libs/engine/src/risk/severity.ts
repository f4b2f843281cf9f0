// Severity of one membership-inference finding, from documented thresholds (docs/risk-model.md holds the
// same table and its rationale). Evidence at low false-positive rates comes first, as Carlini et al.,
// "Membership Inference Attacks From First Principles", S&P 2022 argue: an attack that identifies a few
// records with near certainty is a privacy harm even when its AUC is unremarkable, and a high AUC earned at
// high FPR identifies nobody confidently. AUC and the epsilon bound alone never rate a finding above
// 'medium': 'high' and 'critical' need members identified at a low false-positive rate.
//
// Each indicator counts only what the sample can resolve, so that a model that leaked nothing rates 'low'
// at any sample size:
// - TPR at a low FPR: the lower bound on members flagged is judged against the *upper* bound on non-members
//   flagged at the same threshold. With 30 non-members, "0.1% FPR" means no false alarm among 30, which only
//   bounds the false-positive rate below ~12%; members flagged count only beyond that.
// - AUC: a one-sided lower confidence bound, not the point estimate.
// - epsilon: recomputed on the metrics' fixed threshold grid, Bonferroni over the grid.
// - Multiplicity: the rating takes the worst of 4 indicators per finding over every finding of the audit, so
//   every bound is taken at 1 - 0.05 / (4 x findings) (Bonferroni): the chance that a model that leaked
//   nothing shows *any* indicator above guessing is at most 5%, and 'medium' needs far more than that.

import { aucInterval } from '../metrics/auc-interval';
import { clopperPearson } from '../metrics/clopper-pearson';
import { epsilonLowerBoundOnGrid, FPR_LEVELS } from '../metrics/membership-metrics';
import type { FprLevel, MembershipMetrics, Severity } from '../types';

/** Score bands on the 0-100 exposure scale: a finding's severity is the band its exposure falls in. */
export const SEVERITY_BANDS: ReadonlyArray<{ readonly severity: Severity; readonly minScore: number }> = [
  { severity: 'critical', minScore: 85 },
  { severity: 'high', minScore: 60 },
  { severity: 'medium', minScore: 30 },
  { severity: 'low', minScore: 10 },
  { severity: 'none', minScore: 0 },
];

export type MembershipIndicator = 'tprAt0.1%FprLower' | 'tprAt1%FprLower' | 'epsilonLowerBound' | 'auc';

/**
 * Anchors [value, exposure score] per indicator, interpolated linearly in between. The values at scores
 * 10 / 30 / 60 / 85 are the low / medium / high / critical thresholds. The first anchor is what an attack
 * that guesses at random achieves (TPR = FPR, AUC = 0.5, epsilon = 0).
 */
export const INDICATOR_ANCHORS: Readonly<Record<MembershipIndicator, ReadonlyArray<readonly [number, number]>>> = {
  // TPR at FPR <= 0.1%: lower bound on members flagged, less whatever the non-members' upper bound at that
  // threshold exceeds 0.1% by (tprEvidence); random guessing gives 0.001.
  'tprAt0.1%FprLower': [
    [0.001, 0],
    [0.002, 10],
    [0.005, 30],
    [0.02, 60],
    [0.1, 85],
    [0.5, 100],
  ],
  // The same at FPR <= 1%; random guessing gives 0.01.
  'tprAt1%FprLower': [
    [0.01, 0],
    [0.015, 10],
    [0.04, 30],
    [0.15, 60],
    [0.5, 85],
    [0.9, 100],
  ],
  // Empirical epsilon lower bound (delta 1e-5): secondary, capped inside 'medium'. Its second inequality is
  // met by confidently recognising *non*-members (e.g. a model that misclassifies some unseen records but no
  // training record), which is real evidence but identifies no member; member-side evidence strong enough
  // to matter already shows in the TPR-at-low-FPR indicators. A heuristic indicator, not a DP audit.
  epsilonLowerBound: [
    [0, 0],
    [0.5, 10],
    [1.5, 30],
    [4, 59],
  ],
  // ROC AUC, lower confidence bound: secondary, capped inside 'medium'.
  auc: [
    [0.5, 0],
    [0.55, 10],
    [0.7, 30],
    [1, 59],
  ],
};

/** How sure the rating is, over all indicators of all findings of an audit together. */
export const FAMILY_CONFIDENCE = 0.95;
export const INDICATORS_PER_FINDING = Object.keys(INDICATOR_ANCHORS).length;

/**
 * Confidence of each bound an indicator uses when the rating takes the worst of `attacksCompared` findings:
 * Bonferroni over INDICATORS_PER_FINDING x attacksCompared comparisons.
 */
export function indicatorConfidence(attacksCompared = 1): number {
  const comparisons = INDICATORS_PER_FINDING * Math.max(1, Math.floor(attacksCompared));
  return 1 - (1 - FAMILY_CONFIDENCE) / comparisons;
}

export const INDICATOR_DESCRIPTIONS: Readonly<Record<MembershipIndicator, string>> = {
  'tprAt0.1%FprLower':
    'true-positive rate at 0.1% false-positive rate (lower bound, less what the false-positive rate could be)',
  'tprAt1%FprLower':
    'true-positive rate at 1% false-positive rate (lower bound, less what the false-positive rate could be)',
  epsilonLowerBound: 'empirical epsilon lower bound (heuristic, not a DP audit)',
  auc: 'ROC AUC (lower bound)',
};

export interface MembershipExposure {
  /** 0-100, the highest score over the indicators. */
  readonly score: number;
  readonly severity: Severity;
  /** The indicator that gave the score. */
  readonly driver: MembershipIndicator;
  readonly driverValue: number;
}

/**
 * The indicator values the severity is read from, every bound at indicatorConfidence(attacksCompared).
 * Computed from the counts the metrics carry, not from their 95% intervals, so the correction for the
 * number of findings can be applied.
 */
export function indicatorValues(metrics: MembershipMetrics, attacksCompared = 1): Record<MembershipIndicator, number> {
  const confidence = indicatorConfidence(attacksCompared);
  return {
    'tprAt0.1%FprLower': tprEvidence(metrics, '0.001', confidence),
    'tprAt1%FprLower': tprEvidence(metrics, '0.01', confidence),
    epsilonLowerBound: epsilonLowerBoundOnGrid(
      metrics.epsilonGrid,
      metrics.nMembers,
      metrics.nNonMembers,
      metrics.epsilonDelta,
      confidence,
    ),
    // One-sided: only the lower tail can raise the score, so it gets the indicator's whole 1 - confidence
    // (the TPR and epsilon indicators spend it on two tails, members' lower and non-members' upper).
    auc: aucInterval(metrics.auc, metrics.nMembers, metrics.nNonMembers, 1 - 2 * (1 - confidence)).lower,
  };
}

/**
 * TPR_lo - max(0, FPR_hi - level) at the threshold behind tpr[level]: the members flagged, lower bound, less
 * the share of them that non-members flagged at the same threshold could account for beyond the nominal
 * level. An attack that guesses flags members and non-members alike, so TPR_lo cannot exceed FPR_hi except
 * by chance (probability <= 1 - confidence), and the value stays at or below the guessing anchor `level`.
 * With enough non-members FPR_hi <= level and this is TPR_lo.
 */
export function tprEvidence(metrics: MembershipMetrics, level: FprLevel, confidence: number): number {
  const { tp, fp } = metrics.operatingCounts[level];
  const tprLower = clopperPearson(tp, metrics.nMembers, confidence).lower;
  const fprUpper = clopperPearson(fp, metrics.nNonMembers, confidence).upper;
  return tprLower - Math.max(0, fprUpper - FPR_LEVELS[level]);
}

/** Exposure of one finding; attacksCompared = the number of findings the audit's rating takes the worst of. */
export function membershipExposure(metrics: MembershipMetrics, attacksCompared = 1): MembershipExposure {
  return exposureOfIndicators(indicatorValues(metrics, attacksCompared));
}

/** The highest score over the indicators, through INDICATOR_ANCHORS. */
export function exposureOfIndicators(values: Record<MembershipIndicator, number>): MembershipExposure {
  // Ties go to the earlier indicator, i.e. to low-FPR evidence.
  let driver: MembershipIndicator = 'tprAt0.1%FprLower';
  let score = -1;
  for (const indicator of Object.keys(INDICATOR_ANCHORS) as MembershipIndicator[]) {
    const s = interpolate(INDICATOR_ANCHORS[indicator], values[indicator]);
    if (s > score) {
      score = s;
      driver = indicator;
    }
  }
  return { score, severity: severityOfScore(score), driver, driverValue: values[driver] };
}

export function membershipSeverity(metrics: MembershipMetrics, attacksCompared = 1): Severity {
  return membershipExposure(metrics, attacksCompared).severity;
}

export function severityOfScore(score: number): Severity {
  for (const band of SEVERITY_BANDS) if (score >= band.minScore) return band.severity;
  return 'none';
}

function interpolate(anchors: ReadonlyArray<readonly [number, number]>, value: number): number {
  const first = anchors[0] as readonly [number, number];
  const last = anchors[anchors.length - 1] as readonly [number, number];
  if (!(value > first[0])) return first[1];
  if (value >= last[0]) return last[1];
  for (let i = 1; i < anchors.length; i++) {
    const [x1, y1] = anchors[i] as readonly [number, number];
    if (value < x1) {
      const [x0, y0] = anchors[i - 1] as readonly [number, number];
      return y0 + ((value - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return last[1];
}
