// Severity of one membership-inference finding, from documented thresholds (docs/risk-model.md holds the
// same table and its rationale). Evidence at low false-positive rates comes first, as Carlini et al.,
// "Membership Inference Attacks From First Principles", S&P 2022 argue: an attack that identifies a few
// records with near certainty is a privacy harm even when its AUC is unremarkable, and a high AUC earned at
// high FPR identifies nobody confidently. Every proportion used is a 95% lower bound, never a point estimate,
// so a lucky small sample cannot raise the severity. AUC and the epsilon bound alone never rate a finding
// above 'medium': 'high' and 'critical' need members identified at a low false-positive rate.

import type { MembershipMetrics, Severity } from '../types';

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
  // 95% lower bound of TPR at FPR <= 0.1%; random guessing gives 0.001.
  'tprAt0.1%FprLower': [
    [0.001, 0],
    [0.002, 10],
    [0.005, 30],
    [0.02, 60],
    [0.1, 85],
    [0.5, 100],
  ],
  // 95% lower bound of TPR at FPR <= 1%; random guessing gives 0.01.
  'tprAt1%FprLower': [
    [0.01, 0],
    [0.015, 10],
    [0.04, 30],
    [0.15, 60],
    [0.5, 85],
    [0.9, 100],
  ],
  // Empirical epsilon lower bound (95%, delta 1e-5): secondary, capped inside 'medium'. Its second
  // inequality is met by confidently recognising *non*-members (e.g. a model that misclassifies some unseen
  // records but no training record), which is real DP evidence but identifies no member; member-side
  // evidence strong enough to matter already shows in the TPR-at-low-FPR indicators.
  epsilonLowerBound: [
    [0, 0],
    [0.5, 10],
    [1.5, 30],
    [4, 59],
  ],
  // ROC AUC (point estimate): secondary, capped inside 'medium'.
  auc: [
    [0.5, 0],
    [0.55, 10],
    [0.7, 30],
    [1, 59],
  ],
};

export const INDICATOR_DESCRIPTIONS: Readonly<Record<MembershipIndicator, string>> = {
  'tprAt0.1%FprLower': 'true-positive rate at 0.1% false-positive rate (95% lower bound)',
  'tprAt1%FprLower': 'true-positive rate at 1% false-positive rate (95% lower bound)',
  epsilonLowerBound: 'empirical epsilon lower bound',
  auc: 'ROC AUC',
};

export interface MembershipExposure {
  /** 0-100, the highest score over the indicators. */
  readonly score: number;
  readonly severity: Severity;
  /** The indicator that gave the score. */
  readonly driver: MembershipIndicator;
  readonly driverValue: number;
}

export function indicatorValues(metrics: MembershipMetrics): Record<MembershipIndicator, number> {
  return {
    'tprAt0.1%FprLower': metrics.tprInterval['0.001'].lower,
    'tprAt1%FprLower': metrics.tprInterval['0.01'].lower,
    epsilonLowerBound: metrics.epsilonLowerBound,
    auc: metrics.auc,
  };
}

export function membershipExposure(metrics: MembershipMetrics): MembershipExposure {
  const values = indicatorValues(metrics);
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

export function membershipSeverity(metrics: MembershipMetrics): Severity {
  return membershipExposure(metrics).severity;
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
