// k-means (Lloyd's iterations from a k-means++ seeding, Arthur & Vassilvitskii 2007) on standardised
// features: the query groups the adaptive Knockoff strategy treats as bandit arms. Seeded, so reproducible.

import { SeededRandom } from '../random/seeded-random';

const ITERATIONS = 12;

/** Cluster index per row, in [0, k). */
export function kMeans(features: Float32Array, nRows: number, d: number, k: number, seed: number): Int32Array {
  const rng = new SeededRandom(seed);
  // standardise so that no feature's unit dominates the distances
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let r = 0; r < nRows; r++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + features[r * d + j]! / nRows;
  for (let r = 0; r < nRows; r++)
    for (let j = 0; j < d; j++) sd[j] = sd[j]! + (features[r * d + j]! - mean[j]!) ** 2 / nRows;
  const x = new Float64Array(nRows * d);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < d; j++) x[r * d + j] = (features[r * d + j]! - mean[j]!) / (Math.sqrt(sd[j]!) || 1);
  }
  const dist = (r: number, centres: Float64Array, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[r * d + j]! - centres[c * d + j]!) ** 2;
    return s;
  };
  const centres = new Float64Array(k * d);
  const first = rng.int(nRows);
  centres.set(x.subarray(first * d, (first + 1) * d), 0);
  const nearest = new Float64Array(nRows).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let r = 0; r < nRows; r++) {
      nearest[r] = Math.min(nearest[r]!, dist(r, centres, c - 1));
      total += nearest[r]!;
    }
    let u = rng.next() * total;
    let pick = nRows - 1;
    for (let r = 0; r < nRows; r++) {
      u -= nearest[r]!;
      if (u <= 0) {
        pick = r;
        break;
      }
    }
    centres.set(x.subarray(pick * d, (pick + 1) * d), c * d);
  }
  const assignment = new Int32Array(nRows);
  for (let it = 0; it < ITERATIONS; it++) {
    for (let r = 0; r < nRows; r++) {
      let best = 0;
      let bestDist = Infinity;
      for (let c = 0; c < k; c++) {
        const v = dist(r, centres, c);
        if (v < bestDist) [best, bestDist] = [c, v];
      }
      assignment[r] = best;
    }
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let r = 0; r < nRows; r++) {
      const c = assignment[r]!;
      counts[c] = counts[c]! + 1;
      for (let j = 0; j < d; j++) sums[c * d + j] = sums[c * d + j]! + x[r * d + j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) for (let j = 0; j < d; j++) centres[c * d + j] = sums[c * d + j]! / counts[c]!;
    }
  }
  return assignment;
}
