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
      ? (outputs.logits[base + y] as number) - logSumExp(outputs.logits, base, numClasses)
      : Math.log(Math.max(outputs.probabilities[base + y] as number, MIN_PROBABILITY));
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
      scores[r] = maxOf(outputs.logits, base, numClasses) - logSumExp(outputs.logits, base, numClasses);
    } else {
      scores[r] = Math.log(Math.max(maxOf(outputs.probabilities, base, numClasses), MIN_PROBABILITY));
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

function maxOf(values: Float32Array, base: number, length: number): number {
  let m = -Infinity;
  for (let j = 0; j < length; j++) m = Math.max(m, values[base + j] as number);
  return m;
}

function logSumExp(values: Float32Array, base: number, length: number): number {
  const m = maxOf(values, base, length);
  let sum = 0;
  for (let j = 0; j < length; j++) sum += Math.exp((values[base + j] as number) - m);
  return m + Math.log(sum);
}
