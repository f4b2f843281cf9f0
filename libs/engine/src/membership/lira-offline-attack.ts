// LiRA, offline variant — Carlini et al., "Membership Inference Attacks From First Principles", IEEE S&P
// 2022, §IV-C. Reference models are trained on population data only, so every audited record is OUT of
// all of them and only the OUT Gaussian of φ can be fitted. The test is one-sided: a member's φ is larger
// than the OUT models predict. Score = −log P(Z > (φ − μ_out)/σ_out), the log-survival keeping resolution
// in the far upper tail where the low-FPR decisions are made.

import type { MembershipAttack, MembershipAttackContext, MembershipScores } from '../types';
import { splitScores } from './audited-records';
import { standardNormalLogSurvival } from './gaussian';
import { fitRecordGaussians, liraInputs, type LiraOptions } from './lira-attack';

/** Offline LiRA scores; refPhi and inMask laid out [m * nRecords + i] (records IN a model are ignored). */
export function liraOfflineScores(
  targetPhi: Float64Array,
  refPhi: Float64Array,
  inMask: Uint8Array,
  k: number,
  options: { readonly pooledVariance: boolean },
): Float64Array {
  const n = targetPhi.length;
  const fitOut = fitRecordGaussians(refPhi, k, n, (m, i) => inMask[m * n + i] !== 1, options.pooledVariance);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = (targetPhi[i]! - fitOut.mean[i]!) / Math.sqrt(fitOut.variance[i]!);
    scores[i] = fitOut.count[i]! > 0 ? -standardNormalLogSurvival(z) : 0;
  }
  return scores;
}

export class LiraOfflineAttack implements MembershipAttack {
  readonly id = 'membership.lira-offline' as const;
  readonly access = 'scores' as const;
  readonly referenceModels = 'offline' as const;
  readonly reference =
    'Carlini et al., "Membership Inference Attacks From First Principles", IEEE S&P 2022 (offline LiRA)';

  constructor(private readonly options: LiraOptions = {}) {}

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const input = await liraInputs(ctx, this.id, 'offline', this.options);
    const scores = liraOfflineScores(input.targetPhi, input.refPhi, input.inMask, input.k, input);
    ctx.onProgress?.(1);
    return splitScores(this.id, scores, input.nMembers);
  }
}
