// Confidence interval for ROC AUC, the Mann-Whitney probability P(member score > non-member score).
// Normal approximation with the Hanley & McNeil variance (Radiology 1982):
//   var = [A(1-A) + (nPos-1)(Q1-A^2) + (nNeg-1)(Q2-A^2)] / (nPos nNeg),  Q1 = A/(2-A),  Q2 = 2A^2/(1+A),
// floored at the Mann-Whitney variance under the null, (nPos + nNeg + 1) / (12 nPos nNeg), which Hanley-McNeil
// equals at A = 0.5. The floor matters where an AUC above 0.5 is itself a chance result: Hanley-McNeil's
// variance shrinks as A moves from 0.5, which would make a lucky sample look surer of itself. Ties only
// lower the true variance, so the interval stays conservative for tied scores.

import { EngineError, EngineErrorCode } from '../errors';
import { standardNormalLogSurvival } from '../membership/gaussian';
import type { Interval } from '../types';

/** Two-sided interval at `confidence` (each tail (1-confidence)/2), clipped to [0, 1]. */
export function aucInterval(auc: number, nPos: number, nNeg: number, confidence = 0.95): Interval {
  if (!(confidence > 0 && confidence < 1)) {
    throw new EngineError(EngineErrorCode.InvalidOption, `confidence must be in (0, 1) (got ${confidence})`);
  }
  if (!(nPos >= 1 && nNeg >= 1)) return { lower: 0, upper: 1 };
  const a2 = auc * auc;
  const q1 = auc / (2 - auc);
  const q2 = (2 * a2) / (1 + auc);
  const hanleyMcNeil = (auc * (1 - auc) + (nPos - 1) * (q1 - a2) + (nNeg - 1) * (q2 - a2)) / (nPos * nNeg);
  const nullVariance = (nPos + nNeg + 1) / (12 * nPos * nNeg);
  const se = Math.sqrt(Math.max(hanleyMcNeil, nullVariance));
  const z = standardNormalUpperQuantile((1 - confidence) / 2);
  return { lower: Math.max(0, auc - z * se), upper: Math.min(1, auc + z * se) };
}

/** z with P(Z > z) = tail for a standard normal Z, by bisection on the log survival function (tail in (0, 1)). */
export function standardNormalUpperQuantile(tail: number): number {
  if (!(tail > 0 && tail < 1)) {
    throw new EngineError(EngineErrorCode.Internal, `normal quantile needs a tail in (0, 1) (got ${tail})`);
  }
  const target = Math.log(tail);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (standardNormalLogSurvival(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
