// ROC curve of a membership attack from per-record scores (higher = more likely a member).
// Counts, not rates, are kept so confidence intervals can be computed on exactly what was observed.
// Tied scores form one threshold: a threshold can flag all records with that score or none of them.

import { EngineError, EngineErrorCode } from '../errors';

export interface RocCurve {
  /**
   * Threshold i flags every record with score >= thresholds[i]. Index 0 is +Infinity (nothing flagged),
   * then the distinct scores in descending order; the last index flags everything.
   */
  readonly thresholds: Float64Array;
  /** Members flagged at threshold i (cumulative, non-decreasing). */
  readonly tp: Int32Array;
  /** Non-members flagged at threshold i (cumulative, non-decreasing). */
  readonly fp: Int32Array;
  readonly nPos: number;
  readonly nNeg: number;
}

export interface OperatingPoint {
  /** Index into the curve's arrays. */
  readonly index: number;
  readonly threshold: number;
  readonly tpr: number;
  readonly fpr: number;
  /** Members flagged. */
  readonly k: number;
  /** Non-members flagged. */
  readonly fp: number;
}

/** Builds the ROC curve in O(n log n): both samples are sorted once and merged from the top. */
export function rocCurve(members: ArrayLike<number>, nonMembers: ArrayLike<number>): RocCurve {
  const nPos = members.length;
  const nNeg = nonMembers.length;
  if (nPos === 0 || nNeg === 0) {
    throw new EngineError(
      EngineErrorCode.TooFewRows,
      `ROC needs at least one member and one non-member (got ${nPos} and ${nNeg})`,
    );
  }
  const pos = Float64Array.from(members).sort();
  const neg = Float64Array.from(nonMembers).sort();
  for (const sample of [pos, neg]) {
    // Typed-array sort puts NaN last; infinities sit at either end.
    if (!Number.isFinite(sample[0] as number) || !Number.isFinite(sample[sample.length - 1] as number)) {
      throw new EngineError(EngineErrorCode.Internal, 'ROC received a non-finite membership score');
    }
  }

  const thresholds: number[] = [Infinity];
  const tp: number[] = [0];
  const fp: number[] = [0];
  let i = nPos - 1;
  let j = nNeg - 1;
  let tpCount = 0;
  let fpCount = 0;
  while (i >= 0 || j >= 0) {
    const top = Math.max(i >= 0 ? (pos[i] as number) : -Infinity, j >= 0 ? (neg[j] as number) : -Infinity);
    while (i >= 0 && pos[i] === top) {
      tpCount++;
      i--;
    }
    while (j >= 0 && neg[j] === top) {
      fpCount++;
      j--;
    }
    thresholds.push(top);
    tp.push(tpCount);
    fp.push(fpCount);
  }
  return { thresholds: Float64Array.from(thresholds), tp: Int32Array.from(tp), fp: Int32Array.from(fp), nPos, nNeg };
}

/** Area under the ROC curve; equals the Mann-Whitney probability P(member score > non-member score) + 0.5 P(tie). */
export function aucFromCurve(curve: RocCurve): number {
  let area = 0;
  for (let t = 1; t < curve.tp.length; t++) {
    const dFp = (curve.fp[t] as number) - (curve.fp[t - 1] as number);
    area += dFp * ((curve.tp[t] as number) + (curve.tp[t - 1] as number));
  }
  return area / (2 * curve.nPos * curve.nNeg);
}

export function aucFromScores(members: ArrayLike<number>, nonMembers: ArrayLike<number>): number {
  return aucFromCurve(rocCurve(members, nonMembers));
}

export function operatingPoint(curve: RocCurve, index: number): OperatingPoint {
  const k = curve.tp[index] as number;
  const fp = curve.fp[index] as number;
  return { index, threshold: curve.thresholds[index] as number, tpr: k / curve.nPos, fpr: fp / curve.nNeg, k, fp };
}

/** Largest number of non-members that may be flagged while keeping FPR <= level (guards 0.01 * 1000 rounding). */
export function maxFalsePositives(nNeg: number, level: number): number {
  return Math.floor(level * nNeg * (1 + 1e-12));
}

/** Last curve index whose false-positive count is <= maxFp (fp is non-decreasing, so binary search). */
export function lastIndexWithFpAtMost(curve: RocCurve, maxFp: number): number {
  let lo = 0;
  let hi = curve.fp.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((curve.fp[mid] as number) <= maxFp) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** First curve index that misses at most maxFn members, i.e. flags at least nPos - maxFn (binary search on tp). */
export function firstIndexWithFnAtMost(curve: RocCurve, maxFn: number): number {
  const need = curve.nPos - maxFn;
  let lo = 0;
  let hi = curve.tp.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((curve.tp[mid] as number) >= need) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The highest TPR among thresholds with FPR <= level, with the counts behind it. */
export function tprAtFpr(curve: RocCurve, level: number): OperatingPoint {
  // tp is non-decreasing along the curve, so the last admissible threshold has the highest TPR.
  return operatingPoint(curve, lastIndexWithFpAtMost(curve, maxFalsePositives(curve.nNeg, level)));
}
