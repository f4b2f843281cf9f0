// LOSS attack: Yeom, Giacomelli, Fredrikson, Jha, "Privacy Risk in Machine Learning: Analyzing the
// Connection to Overfitting", IEEE CSF 2018. A model's loss is lower on records it was trained on, so the
// membership score is the negative cross-entropy of the true label, log p_y(x). Needs the target's scores
// and the record's label; no reference models.

import { EngineError, EngineErrorCode } from '../errors';
import { argMaxOf, logProbabilityOf, logSoftmaxOf } from '../math/log-probability';
import type { MembershipAttack, MembershipAttackContext, MembershipScores, TargetOutputs } from '../types';

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
