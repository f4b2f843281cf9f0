// log p_j of one row of a model's answers, as exactly as they allow, in double precision: from logits, and from
// float32 probabilities that round to 1.0 for a confident model's members. Shared by the LOSS and confidence
// attacks (membership scores) and by training/target-fit.ts (how tightly a model fits its rows).

/** Smallest probability used before a log: below float32's denormals, so only exact zeros are clamped. */
const MIN_PROBABILITY = 1e-45;

/**
 * log p_j from float32 probabilities, as exactly as they allow. Near p_j = 1 float32 rounds p_j itself to 1.0
 * (a confident model's members all tie at log 1 = 0, which erases TPR at low FPR), but the other classes'
 * probabilities keep their relative precision, so log p_j = log1p(-sum of the others) there.
 */
export function logProbabilityOf(probabilities: Float32Array, base: number, numClasses: number, j: number): number {
  let others = 0;
  for (let c = 0; c < numClasses; c++) if (c !== j) others += probabilities[base + c] as number;
  const p = probabilities[base + j] as number;
  if (p > 0.5 && others < 0.5) return others > 0 ? Math.log1p(-others) : 0;
  return Math.log(Math.max(p, MIN_PROBABILITY));
}

export function argMaxOf(values: Float32Array, base: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if ((values[base + j] as number) > (values[base + best] as number)) best = j;
  return best;
}

function maxOf(values: Float32Array, base: number, length: number): number {
  let m = -Infinity;
  for (let j = 0; j < length; j++) m = Math.max(m, values[base + j] as number);
  return m;
}

/**
 * log softmax_j of a row of logits in double precision. For the top class, log p_j = -log1p(sum over the others
 * of e^(z_i - z_j)): the usual z_j - logsumexp rounds to exactly 0 once every margin passes about 37, and a
 * well-fit model's members then tie at the top of the ranking.
 */
export function logSoftmaxOf(logits: Float32Array, base: number, numClasses: number, j: number): number {
  const zj = logits[base + j] as number;
  const m = maxOf(logits, base, numClasses);
  if (zj >= m) {
    let others = 0;
    for (let c = 0; c < numClasses; c++) if (c !== j) others += Math.exp((logits[base + c] as number) - zj);
    return others > 0 ? -Math.log1p(others) : 0;
  }
  let sum = 0;
  for (let c = 0; c < numClasses; c++) sum += Math.exp((logits[base + c] as number) - m);
  return zj - m - Math.log(sum);
}
