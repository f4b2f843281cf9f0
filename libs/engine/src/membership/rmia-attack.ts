// RMIA — Zarifzadeh, Liu, Shokri, "Low-Cost High-Power Membership Inference Attacks", ICML 2024.
// Likelihood ratio of a record under the target against its probability under reference models,
// Pr(x|θ)/Pr(x), compared pairwise with the same ratio for population points z that the target never saw:
// score(x) = Pr_z[ (Pr(x|θ)/Pr(x)) / (Pr(z|θ)/Pr(z)) > γ ]. Pr(·|θ) is the true-label probability.
// Online, Pr(x) is the mean over all reference models (x is IN about half of them). Offline, only OUT
// models exist and Pr(x) is underestimated for members, so the paper's linear correction is used:
// Pr(x) ≈ ½((1 + a)·Pr_OUT(x) + (1 − a)). a is tuned per dataset in the paper (0.3 for CIFAR-10; values
// 0.2–0.6 across its datasets); the default here is 0.3 and it can be set per audit. γ = 1 as in the paper.

import { EngineError, EngineErrorCode } from '../errors';
import { deriveSeed, SeededRandom } from '../random/seeded-random';
import type { MembershipAttack, MembershipAttackContext, MembershipScores, ReferenceMode } from '../types';
import { auditedInMask } from './lira-attack';
import { auditedRecords, auditedTargetOutputs, obtainReferenceModels, splitScores } from './audited-records';
import { trueLabelProbability } from './logit-scaling';

export interface RmiaOptions {
  /** Reference models to use; offline (default) is cheap: models trained on population data only. */
  readonly mode?: ReferenceMode;
  /** Offline correction a in Pr(x) ≈ ½((1+a)·Pr_OUT(x) + (1−a)); default 0.3. */
  readonly offlineA?: number;
  /** Pairwise threshold γ; default 1. */
  readonly gamma?: number;
  /** Population points z compared against; default 1000 (all of the population when it is smaller). */
  readonly populationSamples?: number;
}

export const RMIA_DEFAULT_OFFLINE_A = 0.3;
const SEED_SALT_POPULATION_SAMPLE = 0x7a11;

/**
 * Pr(x) per record from reference-model probabilities refP[m * n + i] of the true label.
 * Offline: mean over OUT models with the linear correction; online: mean over all models.
 */
export function rmiaMarginalProbability(
  refP: Float64Array,
  inMask: Uint8Array,
  k: number,
  n: number,
  mode: ReferenceMode,
  offlineA: number,
): Float64Array {
  const marginal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sumAll = 0;
    let sumOut = 0;
    let nOut = 0;
    for (let m = 0; m < k; m++) {
      const p = refP[m * n + i]!;
      sumAll += p;
      if (inMask[m * n + i] !== 1) {
        sumOut += p;
        nOut++;
      }
    }
    marginal[i] =
      mode === 'offline' && nOut > 0 ? 0.5 * ((1 + offlineA) * (sumOut / nOut) + (1 - offlineA)) : sumAll / k;
  }
  return marginal;
}

/** score(x) = fraction of z with ratioX / ratioZ > γ, for ratio = Pr(·|θ)/Pr(·). */
export function rmiaPairwiseScores(ratioX: Float64Array, ratioZ: Float64Array, gamma: number): Float64Array {
  const sortedZ = Float64Array.from(ratioZ).sort();
  const scores = new Float64Array(ratioX.length);
  for (let i = 0; i < ratioX.length; i++) {
    // ratioX/ratioZ > γ  ⇔  ratioZ < ratioX/γ (all ratios positive): count z strictly below.
    const bound = ratioX[i]! / gamma;
    let lo = 0;
    let hi = sortedZ.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedZ[mid]! < bound) lo = mid + 1;
      else hi = mid;
    }
    scores[i] = sortedZ.length > 0 ? lo / sortedZ.length : 0;
  }
  return scores;
}

const MIN_PROBABILITY = 1e-300;

export function probabilityRatio(targetP: Float64Array, marginal: Float64Array): Float64Array {
  const ratio = new Float64Array(targetP.length);
  for (let i = 0; i < ratio.length; i++) ratio[i] = Math.max(targetP[i]!, MIN_PROBABILITY) / Math.max(marginal[i]!, MIN_PROBABILITY);
  return ratio;
}

export class RmiaAttack implements MembershipAttack {
  readonly id = 'membership.rmia' as const;
  readonly access = 'scores' as const;
  readonly referenceModels: ReferenceMode;
  readonly reference = 'Zarifzadeh, Liu, Shokri, "Low-Cost High-Power Membership Inference Attacks", ICML 2024 (RMIA)';
  private readonly offlineA: number;
  private readonly gamma: number;
  private readonly populationSamples: number;

  constructor(options: RmiaOptions = {}) {
    this.referenceModels = options.mode ?? 'offline';
    this.offlineA = options.offlineA ?? RMIA_DEFAULT_OFFLINE_A;
    this.gamma = options.gamma ?? 1;
    this.populationSamples = options.populationSamples ?? 1000;
    if (!(this.offlineA >= 0 && this.offlineA <= 1)) throw new EngineError(EngineErrorCode.InvalidOption, 'RMIA offline parameter a must be in [0, 1]');
    if (!(this.gamma > 0)) throw new EngineError(EngineErrorCode.InvalidOption, 'RMIA gamma must be positive');
    if (!(this.populationSamples >= 1)) throw new EngineError(EngineErrorCode.InvalidOption, 'RMIA needs at least one population sample');
  }

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const population = ctx.population;
    if (!population || population.nRows === 0) {
      throw new EngineError(EngineErrorCode.AttackNeedsPopulation, `${this.id} compares records against population data; provide a population file`);
    }
    const mode = this.referenceModels;
    const set = await obtainReferenceModels(ctx, this.id, mode);
    if (set.nPopulation !== population.nRows) {
      throw new EngineError(EngineErrorCode.InvalidOption, `${this.id}: reference pool has ${set.nPopulation} population rows, the audit ${population.nRows}`);
    }
    const audited = auditedRecords(ctx.members, ctx.nonMembers);
    const zRows = this.samplePopulation(set.inMask, set.k, set.nRecords, set.nPopulation, mode, ctx.seed);
    const nz = zRows.length;
    const zFeatures = new Float32Array(nz * population.nFeatures);
    const zLabels = new Int32Array(nz);
    zRows.forEach((row, j) => {
      zFeatures.set(population.features.subarray(row * population.nFeatures, (row + 1) * population.nFeatures), j * population.nFeatures);
      zLabels[j] = population.labels[row]!;
    });
    const zMask = new Uint8Array(set.k * nz);
    for (let m = 0; m < set.k; m++) zRows.forEach((row, j) => (zMask[m * nz + j] = set.inMask[m * set.nRecords + row]!));

    const refPx = new Float64Array(set.k * audited.nRows);
    const refPz = new Float64Array(set.k * nz);
    for (let m = 0; m < set.k; m++) {
      refPx.set(trueLabelProbability(await set.predict(m, audited.features, audited.nRows), audited.labels, audited.nRows), m * audited.nRows);
      refPz.set(trueLabelProbability(await set.predict(m, zFeatures, nz), zLabels, nz), m * nz);
      ctx.onProgress?.((0.8 * (m + 1)) / set.k, `reference model ${m + 1}/${set.k}`);
    }
    const targetPz = trueLabelProbability(await ctx.target.predict(zFeatures, nz), zLabels, nz);
    const targetPx = trueLabelProbability(auditedTargetOutputs(ctx), audited.labels, audited.nRows);

    const xMask = auditedInMask(set.inMask, set.k, set.nRecords, set.nPopulation, audited.nRows);
    const ratioX = probabilityRatio(targetPx, rmiaMarginalProbability(refPx, xMask, set.k, audited.nRows, mode, this.offlineA));
    const ratioZ = probabilityRatio(targetPz, rmiaMarginalProbability(refPz, zMask, set.k, nz, mode, this.offlineA));
    const scores = rmiaPairwiseScores(ratioX, ratioZ, this.gamma);
    ctx.onProgress?.(1);
    return splitScores(this.id, scores, audited.nMembers);
  }

  /** Seeded sample of population rows; offline, rows OUT of at least one model first, so Pr(z) is treated as Pr(x). */
  private samplePopulation(inMask: Uint8Array, k: number, nRecords: number, nPopulation: number, mode: ReferenceMode, seed: number): number[] {
    const order = new SeededRandom(deriveSeed(seed, SEED_SALT_POPULATION_SAMPLE)).permutation(nPopulation);
    const outOfSome = (row: number): boolean => {
      for (let m = 0; m < k; m++) if (inMask[m * nRecords + row] !== 1) return true;
      return false;
    };
    const preferred = mode === 'offline' ? order.filter(outOfSome) : order;
    const rest = mode === 'offline' ? order.filter((r) => !outOfSome(r)) : [];
    return [...preferred, ...rest].slice(0, Math.min(this.populationSamples, nPopulation));
  }
}
