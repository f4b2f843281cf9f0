// Member and non-member score distributions for the report's histogram chart: counts over bins shared by both
// groups, never a per-record score. Bins of equal width span the pooled scores' robust range (the 0.5th to 99.5th
// percentile, narrowed to 3 IQR beyond the quartiles) so a few extreme or saturated scores (a loss of 1e9, an
// infinite log-ratio) do not squeeze every other record into one bar; scores beyond it, infinities included, are
// counted in the first or last bin and the histogram says how many (clampedBelow / clampedAbove). When that range
// would leave more than 2% of the scores outside (skewed scores: most losses near 0 and a long tail), the bins
// hold about equal numbers of all records instead (binning 'quantile'). NaN scores are not counted.
import type { ScoreHistogram } from '../types';

/** Share of the pooled scores left outside the binned range at each end (then counted in the end bins). */
export const HISTOGRAM_TAIL = 0.005;
export const MIN_HISTOGRAM_BINS = 10;
export const MAX_HISTOGRAM_BINS = 40;
/** Beyond this share of scores outside the equal-width range, bins of equal numbers of records are used. */
export const MAX_CLAMPED_SHARE = 0.02;
export const QUANTILE_BINS = 20;

export function scoreHistogram(members: ArrayLike<number>, nonMembers: ArrayLike<number>): ScoreHistogram | undefined {
  const finite: number[] = [];
  for (const scores of [members, nonMembers])
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i] as number;
      if (Number.isFinite(v)) finite.push(v);
    }
  if (finite.length === 0) return undefined;
  finite.sort((a, b) => a - b);
  // The 0.5th-99.5th percentile range, narrowed to Tukey's far fences (3 IQR beyond the quartiles) when a few
  // saturated scores sit far out: they would otherwise stretch the axis and leave the bulk in one bar.
  const q1 = quantile(finite, 0.25);
  const q3 = quantile(finite, 0.75);
  const fence = 3 * (q3 - q1);
  let lo = quantile(finite, HISTOGRAM_TAIL);
  let hi = quantile(finite, 1 - HISTOGRAM_TAIL);
  if (fence > 0) {
    lo = Math.max(lo, q1 - fence);
    hi = Math.min(hi, q3 + fence);
  }
  // Almost every score tied (a saturated attack): the full range, or one bin around the common value.
  if (!(hi > lo)) {
    lo = finite[0] as number;
    hi = finite[finite.length - 1] as number;
  }
  if (!(hi > lo)) {
    const half = Math.max(Math.abs(lo) * 1e-6, 0.5);
    lo -= half;
    hi += half;
  }
  // Skewed scores (a loss near 0 for most records and a long tail) would leave many scores outside any
  // equal-width range that shows the bulk: then bins of about equal numbers of all records instead.
  const outside = countBelow(finite, lo) + (finite.length - countAtMost(finite, hi));
  if (outside / finite.length > MAX_CLAMPED_SHARE) {
    const edges = quantileEdges(finite, QUANTILE_BINS);
    if (edges.length >= 2) return countInto(edges, members, nonMembers, 'quantile');
  }
  const nBins = binCount(finite, lo, hi);
  const width = (hi - lo) / nBins;
  const edges = Array.from({ length: nBins + 1 }, (_, i) => (i === nBins ? hi : lo + i * width));
  return countInto(edges, members, nonMembers, 'uniform');
}

/** Counts both groups into the bins; scores beyond the edges (infinities included) go to the end bins. */
function countInto(
  edges: readonly number[],
  members: ArrayLike<number>,
  nonMembers: ArrayLike<number>,
  binning: 'uniform' | 'quantile',
): ScoreHistogram {
  const nBins = edges.length - 1;
  const lo = edges[0] as number;
  const hi = edges[nBins] as number;
  let clampedBelow = 0;
  let clampedAbove = 0;
  const count = (scores: ArrayLike<number>): number[] => {
    const counts = new Array<number>(nBins).fill(0);
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i] as number;
      if (Number.isNaN(v)) continue;
      let bin: number;
      if (v < lo) {
        clampedBelow++;
        bin = 0;
      } else if (v > hi) {
        clampedAbove++;
        bin = nBins - 1;
      } else bin = Math.min(nBins - 1, Math.max(0, countAtMost(edges, v) - 1));
      counts[bin] = (counts[bin] as number) + 1;
    }
    return counts;
  };
  const memberCounts = count(members);
  const nonMemberCounts = count(nonMembers);
  return { edges: [...edges], members: memberCounts, nonMembers: nonMemberCounts, clampedBelow, clampedAbove, binning };
}

/** Edges at the i/n quantiles of the sorted scores, ties merged (a saturated score makes one wider bin). */
function quantileEdges(sorted: readonly number[], n: number): number[] {
  const edges: number[] = [sorted[0] as number];
  for (let i = 1; i < n; i++) {
    const q = quantile(sorted, i / n);
    if (q > (edges[edges.length - 1] as number)) edges.push(q);
  }
  const max = sorted[sorted.length - 1] as number;
  if (max > (edges[edges.length - 1] as number)) edges.push(max);
  return edges;
}

/** How many of the sorted values are < v, and <= v (binary search). */
function countBelow(sorted: readonly number[], v: number): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if ((sorted[m] as number) < v) a = m + 1;
    else b = m;
  }
  return a;
}

function countAtMost(sorted: readonly number[], v: number): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if ((sorted[m] as number) <= v) a = m + 1;
    else b = m;
  }
  return a;
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const a = sorted[i] as number;
  const b = sorted[Math.min(sorted.length - 1, i + 1)] as number;
  return a + (b - a) * (pos - i);
}

/** Freedman-Diaconis over the binned range, kept between MIN and MAX_HISTOGRAM_BINS. */
function binCount(sorted: readonly number[], lo: number, hi: number): number {
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  if (!(iqr > 0)) return 20;
  const h = (2 * iqr) / Math.cbrt(sorted.length);
  const n = Math.ceil((hi - lo) / h);
  return Math.max(MIN_HISTOGRAM_BINS, Math.min(MAX_HISTOGRAM_BINS, Number.isFinite(n) ? n : 20));
}
