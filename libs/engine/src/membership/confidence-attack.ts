// Confidence-threshold attack: the threshold variant in Yeom et al., "Privacy Risk in Machine Learning:
// Analyzing the Connection to Overfitting", IEEE CSF 2018, in its label-free form (maximum posterior, as
// in Salem et al., "ML-Leaks", NDSS 2019). Score = max_j p_j(x), computed as log max_j p_j.
// Differs from the LOSS attack: it ignores the true label, so it needs no labels for the audited records and
// cannot tell a confidently *wrong* prediction from a confidently right one; on misclassified members it is
// weaker than LOSS, on label-noisy data sometimes stronger.

import type { MembershipAttack, MembershipAttackContext, MembershipScores } from '../types';
import { maxLogProbabilities } from './loss-attack';

export class ConfidenceAttack implements MembershipAttack {
  readonly id = 'membership.confidence' as const;
  readonly access = 'scores' as const;
  readonly referenceModels = 'none' as const;
  readonly reference =
    'Yeom, Giacomelli, Fredrikson, Jha. Privacy Risk in Machine Learning: Analyzing the Connection to Overfitting. IEEE CSF 2018 (confidence threshold); Salem et al. ML-Leaks. NDSS 2019.';

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const numClasses = ctx.target.signature.numClasses;
    const members = maxLogProbabilities(ctx.memberOutputs, ctx.members.nRows, numClasses, this.id);
    ctx.onProgress?.(0.5);
    const nonMembers = maxLogProbabilities(ctx.nonMemberOutputs, ctx.nonMembers.nRows, numClasses, this.id);
    ctx.onProgress?.(1);
    return { attack: this.id, members, nonMembers };
  }
}
