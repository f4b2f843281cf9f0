// Logit-scaled true-label confidence φ = log(p_y) − log(1 − p_y), the statistic LiRA fits Gaussians to
// (Carlini et al., S&P 2022, §IV-B: it makes the confidence of a record across models close to normal).
// Computed from logits when the target exposes them: φ = z_y − logsumexp_{j≠y} z_j is exact, whereas a
// float32 softmax rounds p_y to exactly 1.0 for well-fit members and φ would be +∞.

import type { TargetOutputs } from '../types';

/** Clamp used when only probabilities are available: φ stays within about ±69. */
const PROBABILITY_FLOOR = 1e-30;

/** Per row: z_y − logsumexp over the other classes, exact in double precision. */
export function logitScaledConfidenceFromLogits(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  nRows: number,
  numClasses: number,
): Float64Array {
  const phi = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const base = r * numClasses;
    const y = labels[r] as number;
    let max = -Infinity;
    for (let j = 0; j < numClasses; j++) if (j !== y) max = Math.max(max, logits[base + j] as number);
    let sum = 0;
    for (let j = 0; j < numClasses; j++) if (j !== y) sum += Math.exp((logits[base + j] as number) - max);
    phi[r] = (logits[base + y] as number) - (max + Math.log(sum));
  }
  return phi;
}

/** Per row: log p_y − log Σ_{j≠y} p_j, both clamped away from zero (saturates near ±69). */
export function logitScaledConfidenceFromProbabilities(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  nRows: number,
  numClasses: number,
): Float64Array {
  const phi = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const base = r * numClasses;
    const y = labels[r] as number;
    let others = 0;
    for (let j = 0; j < numClasses; j++) if (j !== y) others += probabilities[base + j] as number;
    // Summing the other classes, rather than 1 − p_y, keeps the precision float32 has near p_y = 1.
    const py = probabilities[base + y] as number;
    phi[r] = Math.log(Math.max(py, PROBABILITY_FLOOR)) - Math.log(Math.max(others, PROBABILITY_FLOOR));
  }
  return phi;
}

/** φ per row from the best source the outputs carry: logits when present, else probabilities. */
export function logitScaledConfidence(outputs: TargetOutputs, labels: Int32Array, nRows: number): Float64Array {
  const numClasses = nRows > 0 ? outputs.probabilities.length / nRows : 0;
  if (outputs.logits && outputs.logits.length === outputs.probabilities.length) {
    return logitScaledConfidenceFromLogits(outputs.logits, labels, nRows, numClasses);
  }
  return logitScaledConfidenceFromProbabilities(outputs.probabilities, labels, nRows, numClasses);
}

/** Probability of the true label per row (RMIA's Pr(x|θ)), from logits in double precision when present. */
export function trueLabelProbability(outputs: TargetOutputs, labels: Int32Array, nRows: number): Float64Array {
  const numClasses = nRows > 0 ? outputs.probabilities.length / nRows : 0;
  const p = new Float64Array(nRows);
  const logits = outputs.logits && outputs.logits.length === outputs.probabilities.length ? outputs.logits : undefined;
  for (let r = 0; r < nRows; r++) {
    const base = r * numClasses;
    const y = labels[r] as number;
    if (logits) {
      let max = -Infinity;
      for (let j = 0; j < numClasses; j++) max = Math.max(max, logits[base + j] as number);
      let sum = 0;
      for (let j = 0; j < numClasses; j++) sum += Math.exp((logits[base + j] as number) - max);
      p[r] = Math.exp((logits[base + y] as number) - max) / sum;
    } else {
      p[r] = outputs.probabilities[base + y] as number;
    }
  }
  return p;
}
