// Intervals for differences of accuracies, by a seeded percentile bootstrap (Efron & Tibshirani 1993):
// paired (attack vs baseline on the same records: resample records, keep each record's pair) and independent
// (members vs non-members: resample each side on its own). Reproducible: the resamples flow from the seed.

import { SeededRandom } from '../random/seeded-random';

export const BOOTSTRAP_RESAMPLES = 2000;

/** Interval for mean(a) - mean(b) over the same records (a[i], b[i] in {0, 1}). */
export function pairedDifferenceInterval(
  a: Uint8Array,
  b: Uint8Array,
  seed: number,
  confidence = 0.95,
): readonly [number, number] {
  const n = a.length;
  if (n === 0) return [-1, 1];
  const rng = new SeededRandom(seed);
  const stats = new Float64Array(BOOTSTRAP_RESAMPLES);
  for (let s = 0; s < BOOTSTRAP_RESAMPLES; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      sum += (a[j] as number) - (b[j] as number);
    }
    stats[s] = sum / n;
  }
  return percentiles(stats, confidence);
}

/** Interval for mean(a) - mean(b) over independent samples. */
export function independentDifferenceInterval(
  a: Uint8Array,
  b: Uint8Array,
  seed: number,
  confidence = 0.95,
): readonly [number, number] {
  if (a.length === 0 || b.length === 0) return [-1, 1];
  const rng = new SeededRandom(seed);
  const stats = new Float64Array(BOOTSTRAP_RESAMPLES);
  for (let s = 0; s < BOOTSTRAP_RESAMPLES; s++) stats[s] = resampledMean(a, rng) - resampledMean(b, rng);
  return percentiles(stats, confidence);
}

export function mean(values: Uint8Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length > 0 ? sum / values.length : 0;
}

function resampledMean(values: Uint8Array, rng: SeededRandom): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[rng.int(values.length)] as number;
  return sum / values.length;
}

function percentiles(stats: Float64Array, confidence: number): readonly [number, number] {
  stats.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.floor(q * stats.length)))] as number;
  return [at(tail), at(1 - tail)];
}
