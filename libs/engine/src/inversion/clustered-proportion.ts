// A proportion over outcomes that come in clusters of equal size (MI-Face: several reconstructions per class, whose
// restarts are not independent: they share the class, the target's view of it and often the same optimum). The
// interval is Clopper-Pearson on the effective sample size (Kish 1965; Korn & Graubard, "Confidence intervals for
// proportions with small expected number of positive counts estimated from survey data", Survey Methodology 1998):
// n_eff = n / deff with the design effect deff = 1 + (m - 1) ICC, the intra-class correlation estimated by one-way
// ANOVA over the clusters and floored at 0. deff lies in [1, m], so n_eff lies between the number of clusters
// (restarts of a class perfectly alike: one outcome per class) and n (restarts independent). When the ICC cannot be
// estimated (every outcome alike, or a single cluster) deff = m: only the clusters count.

import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import type { Interval } from '../types';

export interface ClusteredProportion {
  readonly proportion: number;
  readonly interval: Interval;
  /** Kish's design effect: the variance inflation from clustering, between 1 and the cluster size. */
  readonly designEffect: number;
  /** n / designEffect. */
  readonly effectiveSize: number;
}

/**
 * `clusters`: one array of 0/1 outcomes per cluster, all of the same length m (empty clusters are dropped).
 * `confidence`: two-sided, each tail (1 - confidence) / 2.
 */
export function clusteredProportion(
  clusters: ReadonlyArray<readonly boolean[]>,
  confidence = 0.95,
): ClusteredProportion {
  const kept = clusters.filter((c) => c.length > 0);
  const k = kept.length;
  const m = kept[0]?.length ?? 0;
  if (kept.some((c) => c.length !== m)) throw new Error('clusteredProportion needs clusters of equal size');
  const n = k * m;
  if (n === 0) return { proportion: 0, interval: { lower: 0, upper: 1 }, designEffect: 1, effectiveSize: 0 };
  const means = kept.map((c) => c.filter(Boolean).length / m);
  const p = means.reduce((s, x) => s + x, 0) / k;
  let designEffect = m;
  if (m === 1) designEffect = 1;
  else if (k > 1) {
    const msb = (m * means.reduce((s, x) => s + (x - p) ** 2, 0)) / (k - 1);
    const msw =
      kept.reduce((s, c, i) => s + c.reduce((t, y) => t + ((y ? 1 : 0) - (means[i] as number)) ** 2, 0), 0) /
      (k * (m - 1));
    const denominator = msb + (m - 1) * msw;
    if (denominator > 0) {
      const icc = Math.max(0, (msb - msw) / denominator);
      designEffect = Math.min(m, 1 + (m - 1) * icc);
    }
  }
  const effectiveSize = n / designEffect;
  const successes = p * effectiveSize;
  const tail = (1 - confidence) / 2;
  return {
    proportion: p,
    interval: {
      lower: successes <= 0 ? 0 : betaQuantile(tail, successes, effectiveSize - successes + 1),
      upper: successes >= effectiveSize ? 1 : betaQuantile(1 - tail, successes + 1, effectiveSize - successes),
    },
    designEffect,
    effectiveSize,
  };
}
