// Everything a report says about one membership attack, computed from its per-record scores.
// Low-FPR metrics (TPR at 0.1% / 1% FPR) are the headline: Carlini et al., "Membership Inference Attacks
// From First Principles", S&P 2022, show that average-case metrics (AUC, accuracy) hide whether any record
// can be identified confidently. The empirical epsilon lower bound follows Jagielski et al., "Auditing
// Differentially Private Machine Learning", NeurIPS 2020 and Nasr et al., S&P 2021: for an (eps, delta)-DP
// training algorithm every threshold satisfies TPR <= e^eps FPR + delta and 1 - FPR <= e^eps (1 - TPR) + delta.
// Here that bound comes from one trained model and the user's own member/non-member split, not from many
// training runs on randomised canaries, so it is a heuristic indicator and not a DP audit (EPSILON_NOTE).

import { EngineError, EngineErrorCode } from '../errors';
import type { FprLevel, Interval, MembershipMetrics, OperatingCounts } from '../types';
import { aucInterval } from './auc-interval';
import { clopperPearson } from './clopper-pearson';
import { scoreHistogram } from './score-histogram';
import { aucFromCurve, firstIndexWithFnAtMost, lastIndexWithFpAtMost, RocCurve, rocCurve, tprAtFpr } from './roc';

export const FPR_LEVELS: Readonly<Record<FprLevel, number>> = { '0.001': 0.001, '0.01': 0.01 };

/**
 * delta for the empirical epsilon bound. 1e-5 is the usual target for DP training (delta well below
 * 1/n for datasets of ~1e4-1e5 records); the bound changes by < 1e-3 for any delta << TPR.
 */
export const DEFAULT_EPSILON_DELTA = 1e-5;
export const DEFAULT_CONFIDENCE = 0.95;
/** Upper bound on plotted ROC points. */
export const MAX_ROC_POINTS = 200;

/** Carried on every finding's metrics and said wherever epsilon is shown (docs/risk-model.md, "What the ε bound is"). */
export const EPSILON_NOTE =
  'Heuristic indicator, not a differential-privacy audit: the epsilon lower bound is measured on this one ' +
  'trained model and the member/non-member split supplied, not over many training runs with randomly ' +
  'inserted canary records as a valid DP audit requires (Jagielski et al. 2020; Steinke et al. 2023). It ' +
  'shows how distinguishable these members are from these non-members; it neither proves nor disproves a ' +
  'differential-privacy guarantee.';

export interface MembershipMetricsOptions {
  delta?: number;
  /** Confidence of every interval and of the epsilon lower bound (default 0.95). */
  confidence?: number;
  /** Named in the error raised for non-finite scores. */
  attack?: string;
}

export function computeMembershipMetrics(
  members: Float64Array,
  nonMembers: Float64Array,
  opts: MembershipMetricsOptions = {},
): MembershipMetrics {
  const delta = opts.delta ?? DEFAULT_EPSILON_DELTA;
  const confidence = opts.confidence ?? DEFAULT_CONFIDENCE;
  assertFiniteScores(members, 'members', opts.attack);
  assertFiniteScores(nonMembers, 'non-members', opts.attack);

  const curve = rocCurve(members, nonMembers);
  const tpr = {} as Record<FprLevel, number>;
  const tprInterval = {} as Record<FprLevel, Interval>;
  const fprInterval = {} as Record<FprLevel, Interval>;
  const operatingCounts = {} as Record<FprLevel, OperatingCounts>;
  for (const level of Object.keys(FPR_LEVELS) as FprLevel[]) {
    const point = tprAtFpr(curve, FPR_LEVELS[level]);
    tpr[level] = point.tpr;
    tprInterval[level] = clopperPearson(point.k, curve.nPos, confidence);
    fprInterval[level] = clopperPearson(point.fp, curve.nNeg, confidence);
    operatingCounts[level] = { tp: point.k, fp: point.fp };
  }

  const auc = aucFromCurve(curve);
  const best = bestBalancedThreshold(curve);
  const epsilonGrid = epsilonThresholdGrid(curve);
  const histogram = scoreHistogram(members, nonMembers);
  return {
    auc,
    aucInterval: aucInterval(auc, curve.nPos, curve.nNeg, confidence),
    tpr,
    tprInterval,
    fprInterval,
    operatingCounts,
    balancedAccuracy: (1 + best.advantage) / 2,
    balancedAccuracyInterval: balancedAccuracyInterval(curve, best.index, confidence),
    advantage: best.advantage,
    epsilonLowerBound: epsilonLowerBoundOnGrid(epsilonGrid, curve.nPos, curve.nNeg, delta, confidence),
    epsilonDelta: delta,
    epsilonGrid,
    epsilonNote: EPSILON_NOTE,
    rocPoints: thinRocForLogPlot(curve, MAX_ROC_POINTS),
    ...(histogram !== undefined ? { scoreHistogram: histogram } : {}),
    nMembers: curve.nPos,
    nNonMembers: curve.nNeg,
  };
}

function assertFiniteScores(scores: Float64Array, which: string, attack = 'unknown attack'): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i] as number)) {
      throw new EngineError(
        EngineErrorCode.Internal,
        `Attack ${attack} produced a non-finite membership score for ${which} record #${i + 1}`,
      );
    }
  }
}

/** The threshold maximising (TPR + TNR) / 2, i.e. maximising TPR - FPR (the membership advantage). */
function bestBalancedThreshold(curve: RocCurve): { index: number; advantage: number } {
  let index = 0;
  let advantage = 0;
  for (let t = 0; t < curve.tp.length; t++) {
    const a = (curve.tp[t] as number) / curve.nPos - (curve.fp[t] as number) / curve.nNeg;
    if (a > advantage) {
      advantage = a;
      index = t;
    }
  }
  return { index, advantage };
}

/**
 * Interval for balanced accuracy at the chosen threshold: Clopper-Pearson on TPR and on TNR, each at
 * confidence 1 - (1 - c)/2 (Bonferroni), so both hold together with probability >= c. It does not account
 * for the threshold having been chosen on the same data, so it is optimistic by that selection.
 */
function balancedAccuracyInterval(curve: RocCurve, index: number, confidence: number): Interval {
  const each = 1 - (1 - confidence) / 2;
  const tpr = clopperPearson(curve.tp[index] as number, curve.nPos, each);
  const tnr = clopperPearson(curve.nNeg - (curve.fp[index] as number), curve.nNeg, each);
  return { lower: (tpr.lower + tnr.lower) / 2, upper: (tpr.upper + tnr.upper) / 2 };
}

/**
 * The thresholds the epsilon bound examines, fixed by the sample sizes alone so that a union bound over them
 * holds: for each c in {0, 1, 2, 4, ...} below nNeg, the threshold that flags the most members while flagging
 * at most c non-members (where the first inequality, TPR <= e^eps FPR + delta, bites), and for each c below
 * nPos the strictest threshold that misses at most c members (where the second one does). Each such threshold
 * is set by one side's order statistics, so the other side's count at it is binomial and the Clopper-Pearson
 * bounds on both are exact for untied scores. One entry per grid point, duplicates kept: the grid's length,
 * not the number of distinct thresholds, is the Bonferroni factor.
 */
export function epsilonThresholdGrid(curve: RocCurve): OperatingCounts[] {
  const indices: number[] = [];
  for (const c of powersOfTwoBelow(curve.nNeg)) indices.push(lastIndexWithFpAtMost(curve, c));
  for (const c of powersOfTwoBelow(curve.nPos)) indices.push(firstIndexWithFnAtMost(curve, c));
  return indices.map((t) => ({ tp: curve.tp[t] as number, fp: curve.fp[t] as number }));
}

/** 0, 1, 2, 4, ... below n. */
function powersOfTwoBelow(n: number): number[] {
  const out = [0];
  for (let c = 1; c < n; c *= 2) out.push(c);
  return out;
}

/**
 * eps_LB = max over the grid of epsilonAtThreshold, each point at confidence 1 - (1 - confidence)/G for a
 * grid of G points (Bonferroni), so the maximum is a lower bound at `confidence` overall. The maximum of
 * per-threshold 95% bounds over every threshold, which published audits often report, is not a 95% bound:
 * with many thresholds one of them is lucky.
 */
export function epsilonLowerBoundOnGrid(
  grid: readonly OperatingCounts[],
  nPos: number,
  nNeg: number,
  delta: number,
  confidence: number,
): number {
  if (grid.length === 0) return 0;
  const each = 1 - (1 - confidence) / grid.length;
  // The point estimate bounds what the interval ends can reach (infinite at FPR = 0 or TPR = 1), so visit
  // distinct points from the most promising and stop once none can beat the best bound found.
  const points = new Map<string, { tp: number; fp: number; reach: number }>();
  for (const { tp, fp } of grid) {
    const tpr = tp / nPos;
    const fpr = fp / nNeg;
    const reach =
      fpr === 0 || tpr === 1 ? Infinity : Math.max(logRatio(tpr - delta, fpr), logRatio(1 - delta - fpr, 1 - tpr));
    points.set(`${tp}/${fp}`, { tp, fp, reach });
  }
  let best = 0;
  for (const p of [...points.values()].sort((a, b) => b.reach - a.reach)) {
    if (p.reach <= best) break;
    best = Math.max(best, epsilonAtThreshold(p.tp, nPos, p.fp, nNeg, delta, each));
  }
  return best;
}

/**
 * The bound at one threshold fixed in advance: max(ln((TPR_lo - delta) / FPR_hi), ln((1 - delta - FPR_hi) /
 * (1 - TPR_lo))), floored at 0, with TPR_lo and FPR_hi the ends of the two-sided Clopper-Pearson intervals at
 * `confidence` (each a (1-confidence)/2 tail). At 95% this gives the brief's example: 1000/10000 members at
 * 10/10000 non-members -> point estimate ln(0.1/0.001) = 4.61, lower bound 3.94.
 */
export function epsilonAtThreshold(
  tp: number,
  nPos: number,
  fp: number,
  nNeg: number,
  delta: number,
  confidence: number,
): number {
  const lo = clopperPearson(tp, nPos, confidence).lower;
  const hi = clopperPearson(fp, nNeg, confidence).upper;
  return Math.max(0, logRatio(lo - delta, hi), logRatio(1 - delta - hi, 1 - lo));
}

function logRatio(numerator: number, denominator: number): number {
  return numerator > 0 && denominator > 0 ? Math.log(numerator / denominator) : 0;
}

/**
 * At most ~maxPoints [fpr, tpr] points for a log-log ROC plot: for FPR values log-spaced from 1/nNeg to 1,
 * the best TPR reachable without exceeding that FPR (the staircase's upper corners), plus the best TPR at
 * zero false positives, the operating points at FPR_LEVELS and the end points (0,0) and (1,1).
 */
export function thinRocForLogPlot(curve: RocCurve, maxPoints: number): Array<[number, number]> {
  const indices = new Set<number>([0, lastIndexWithFpAtMost(curve, 0), curve.tp.length - 1]);
  // The headline operating points are always on the plotted curve.
  for (const level of Object.values(FPR_LEVELS)) indices.add(tprAtFpr(curve, level).index);
  const gridSize = Math.max(2, maxPoints - indices.size);
  const minFpr = 1 / curve.nNeg;
  for (let g = 0; g < gridSize; g++) {
    const fpr = minFpr * Math.pow(1 / minFpr, g / (gridSize - 1));
    indices.add(lastIndexWithFpAtMost(curve, Math.floor(fpr * curve.nNeg * (1 + 1e-12))));
  }
  return [...indices]
    .sort((a, b) => a - b)
    .map((t) => [(curve.fp[t] as number) / curve.nNeg, (curve.tp[t] as number) / curve.nPos]);
}
