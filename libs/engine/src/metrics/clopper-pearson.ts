// Exact (Clopper-Pearson, 1934) binomial confidence interval: the bounds are beta quantiles,
// lower = Beta(alpha/2; k, n-k+1), upper = Beta(1-alpha/2; k+1, n-k). Conservative by construction, which
// is what a privacy claim needs (never over-state how sure we are). Beta quantile from @stdlib.

import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import { EngineError, EngineErrorCode } from '../errors';
import type { Interval } from '../types';

/** Two-sided interval for a proportion k/n at `confidence` (default 95%): each tail holds (1-confidence)/2. */
export function clopperPearson(k: number, n: number, confidence = 0.95): Interval {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || k > n) {
    throw new EngineError(EngineErrorCode.Internal, `Clopper-Pearson needs integers 0 <= k <= n (got k=${k}, n=${n})`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new EngineError(EngineErrorCode.InvalidOption, `confidence must be in (0, 1) (got ${confidence})`);
  }
  if (n === 0) return { lower: 0, upper: 1 };
  const tail = (1 - confidence) / 2;
  return {
    lower: k === 0 ? 0 : betaQuantile(tail, k, n - k + 1),
    upper: k === n ? 1 : betaQuantile(1 - tail, k + 1, n - k),
  };
}
