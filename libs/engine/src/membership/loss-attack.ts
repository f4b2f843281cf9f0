// LOSS attack: Yeom, Giacomelli, Fredrikson, Jha, "Privacy Risk in Machine Learning: Analyzing the
// Connection to Overfitting", IEEE CSF 2018. A model's loss is lower on records it was trained on, so the
// membership score is the negative cross-entropy of the true label, log p_y(x). Needs the target's scores
// and the record's label; no reference models.

import { EngineError, EngineErrorCode } from '../errors';
import type { MembershipAttack, MembershipAttackContext, MembershipScores, TargetOutputs } from '../types';

/** Smallest probability used before a log: below float32's denormals, so only exact zeros are clamped. */
const MIN_PROBABILITY = 1e-45;

export class LossAttack implements MembershipAttack {
  readonly id = 'membership.loss' as const;
  readonly access = 'scores' as const;
  readonly referenceModels = 'none' as const;
  readonly reference =
    'Yeom, Giacomelli, Fredrikson, Jha. Privacy Risk in Machine Learning: Analyzing the Connection to Overfitting. IEEE CSF 2018.';

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const numClasses = ctx.target.signature.numClasses;
    const members = trueLabelLogProbabilities(ctx.memberOutputs, ctx.members.labels, numClasses, this.id);
    ctx.onProgress?.(0.5);
    const nonMembers = trueLabelLogProbabilities(ctx.nonMemberOutputs, ctx.nonMembers.labels, numClasses, this.id);
    ctx.onProgress?.(1);
    return { attack: this.id, members, nonMembers };
  }
}

/** log p_y per row: from logits (log-softmax, exact even where float32 probabilities round to 0 or 1) when present. */
export function trueLabelLogProbabilities(
  outputs: TargetOutputs,
  labels: Int32Array,
  numClasses: number,
  attack: string,
): Float64Array {
  const nRows = labels.length;
  assertOutputShape(outputs, nRows, numClasses, attack);
  const scores = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const y = labels[r] as number;
    const base = r * numClasses;
    scores[r] = outputs.logits
      ? logSoftmaxOf(outputs.logits, base, numClasses, y)
      : logProbabilityOf(outputs.probabilities, base, numClasses, y);
  }
  return scores;
}

/** log max_j p_j per row (label-free), from logits when present. */
export function maxLogProbabilities(
  outputs: TargetOutputs,
  nRows: number,
  numClasses: number,
  attack: string,
): Float64Array {
  assertOutputShape(outputs, nRows, numClasses, attack);
  const scores = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const base = r * numClasses;
    if (outputs.logits) {
      scores[r] = logSoftmaxOf(outputs.logits, base, numClasses, argMaxOf(outputs.logits, base, numClasses));
    } else {
      scores[r] = logProbabilityOf(
        outputs.probabilities,
        base,
        numClasses,
        argMaxOf(outputs.probabilities, base, numClasses),
      );
    }
  }
  return scores;
}

function assertOutputShape(outputs: TargetOutputs, nRows: number, numClasses: number, attack: string): void {
  const expected = nRows * numClasses;
  if (outputs.probabilities.length !== expected || (outputs.logits && outputs.logits.length !== expected)) {
    throw new EngineError(
      EngineErrorCode.Internal,
      `Attack ${attack}: target returned ${outputs.probabilities.length} scores for ${nRows} rows x ${numClasses} classes`,
    );
  }
}

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

function argMaxOf(values: Float32Array, base: number, length: number): number {
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
