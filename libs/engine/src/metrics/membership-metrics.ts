// Everything a report says about one membership attack, computed from its per-record scores.
// Low-FPR metrics (TPR at 0.1% / 1% FPR) are the headline: Carlini et al., "Membership Inference Attacks
// From First Principles", S&P 2022, show that average-case metrics (AUC, accuracy) hide whether any record
// can be identified confidently. The empirical epsilon lower bound follows Jagielski et al., "Auditing
// Differentially Private Machine Learning", NeurIPS 2020 and Nasr et al., S&P 2021: for an (eps, delta)-DP
// training algorithm every threshold satisfies TPR <= e^eps FPR + delta and 1 - FPR <= e^eps (1 - TPR) + delta.

import { EngineError, EngineErrorCode } from '../errors';
import type { FprLevel, Interval, MembershipMetrics } from '../types';
import { clopperPearson } from './clopper-pearson';
import { aucFromCurve, lastIndexWithFpAtMost, RocCurve, rocCurve, tprAtFpr } from './roc';

export const FPR_LEVELS: Readonly<Record<FprLevel, number>> = { '0.001': 0.001, '0.01': 0.01 };

/**
 * delta for the empirical epsilon bound. 1e-5 is the usual target for DP training (delta well below
 * 1/n for datasets of ~1e4-1e5 records); the bound changes by < 1e-3 for any delta << TPR.
 */
export const DEFAULT_EPSILON_DELTA = 1e-5;
export const DEFAULT_CONFIDENCE = 0.95;
/** Upper bound on plotted ROC points. */
export const MAX_ROC_POINTS = 200;

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
  for (const level of Object.keys(FPR_LEVELS) as FprLevel[]) {
    const point = tprAtFpr(curve, FPR_LEVELS[level]);
    tpr[level] = point.tpr;
    tprInterval[level] = clopperPearson(point.k, curve.nPos, confidence);
  }

  const best = bestBalancedThreshold(curve);
  return {
    auc: aucFromCurve(curve),
    tpr,
    tprInterval,
    balancedAccuracy: (1 + best.advantage) / 2,
    balancedAccuracyInterval: balancedAccuracyInterval(curve, best.index, confidence),
    advantage: best.advantage,
    epsilonLowerBound: empiricalEpsilonLowerBound(curve, delta, confidence),
    epsilonDelta: delta,
    rocPoints: thinRocForLogPlot(curve, MAX_ROC_POINTS),
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
 * eps_LB = max over thresholds of max(ln((TPR_lo - delta) / FPR_hi), ln((1 - delta - FPR_hi) / (1 - TPR_lo))),
 * floored at 0. TPR_lo and FPR_hi are the lower and upper ends of the two-sided Clopper-Pearson interval at
 * `confidence` (each end a (1-confidence)/2 tail). This is the convention that gives the brief's example:
 * 1000/10000 members at 10/10000 non-members -> point estimate ln(0.1/0.001) = 4.61, lower bound 3.94.
 * (One-sided 95% ends would give 4.03.) Without a union bound over thresholds the max is slightly optimistic,
 * as in the published auditing work.
 */
export function empiricalEpsilonLowerBound(curve: RocCurve, delta: number, confidence: number): number {
  const tprLo = memoised((k) => clopperPearson(k, curve.nPos, confidence).lower);
  const fprHi = memoised((k) => clopperPearson(k, curve.nNeg, confidence).upper);
  let best = 0;
  for (let t = 0; t < curve.tp.length; t++) {
    const k = curve.tp[t] as number;
    const fp = curve.fp[t] as number;
    // Only the upper-left corners of the staircase can maximise: at equal fp the last (highest tp) index
    // wins, at equal tp the first (lowest fp) one does.
    if (t + 1 < curve.tp.length && curve.fp[t + 1] === fp) continue;
    if (t > 0 && curve.tp[t - 1] === k) continue;
    // Point estimates bound what the interval ends can reach; skip thresholds that cannot beat `best`.
    const tpr = k / curve.nPos;
    const fpr = fp / curve.nNeg;
    if (fpr > 0 && tpr < 1 && Math.max(logRatio(tpr - delta, fpr), logRatio(1 - delta - fpr, 1 - tpr)) <= best)
      continue;
    const lo = tprLo(k);
    const hi = fprHi(fp);
    best = Math.max(best, logRatio(lo - delta, hi), logRatio(1 - delta - hi, 1 - lo));
  }
  return best;
}

function logRatio(numerator: number, denominator: number): number {
  return numerator > 0 && denominator > 0 ? Math.log(numerator / denominator) : 0;
}

function memoised(f: (k: number) => number): (k: number) => number {
  const cache = new Map<number, number>();
  return (k) => {
    let v = cache.get(k);
    if (v === undefined) {
      v = f(k);
      cache.set(k, v);
    }
    return v;
  };
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
