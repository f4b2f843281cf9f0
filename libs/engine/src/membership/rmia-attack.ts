// RMIA — Zarifzadeh, Liu, Shokri, "Low-Cost High-Power Membership Inference Attacks", ICML 2024.
// Likelihood ratio of a record under the target against its probability under reference models,
// Pr(x|θ)/Pr(x), compared pairwise with the same ratio for population points z that the target never saw:
// score(x) = Pr_z[ (Pr(x|θ)/Pr(x)) / (Pr(z|θ)/Pr(z)) > γ ]. Pr(·|θ) is the true-label probability.
// Online, Pr(x) is the mean over all reference models (x is IN about half of them). Offline, only OUT
// models exist and Pr(x) is underestimated for members, so the paper's linear correction is used:
// Pr(x) ≈ ½((1 + a)·Pr_OUT(x) + (1 − a)). a is tuned per dataset in the paper (0.3 for CIFAR-10; values
// 0.2–0.6 across its datasets) by playing one reference model as the target and the others as references,
// keeping the a with the best AUC on that model's known members and non-members (its population IN/OUT
// split). 'calibrate' does that here with every reference model in turn; a fixed a can be set per audit.
// γ = 1 as in the paper.

import { EngineError, EngineErrorCode } from '../errors';
import { deriveSeed, SeededRandom } from '../random/seeded-random';
import type { MembershipAttack, MembershipAttackContext, MembershipScores, ReferenceMode } from '../types';
import { auditedInMask } from './lira-attack';
import { aucFromScores } from '../metrics/roc';
import { auditedRecords, auditedTargetOutputs, obtainReferenceModels, splitScores } from './audited-records';
import { trueLabelProbability } from './logit-scaling';

export interface RmiaOptions {
  /** Reference models to use; offline (default) is cheap: models trained on population data only. */
  readonly mode?: ReferenceMode;
  /**
   * Offline correction a in Pr(x) ≈ ½((1+a)·Pr_OUT(x) + (1−a)), or 'calibrate' (default) to choose it from
   * RMIA_OFFLINE_A_GRID on the reference models themselves; with one reference model that falls back to 0.3.
   */
  readonly offlineA?: number | 'calibrate';
  /** Pairwise threshold γ; default 1. */
  readonly gamma?: number;
  /** Population points z compared against; default 1000 (all of the population when it is smaller). */
  readonly populationSamples?: number;
}

export const RMIA_DEFAULT_OFFLINE_A = 0.3;
export const RMIA_OFFLINE_A_GRID: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
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

/**
 * score(x) = fraction of z with ratioX / ratioZ > γ, for ratio = Pr(·|θ)/Pr(·), with ties broken by the
 * likelihood ratio itself. The fraction takes at most |Z| + 1 values, so with many members above every z (an
 * overfit target) the top of the ranking is one big tie and TPR at 0.1% FPR is lost. Each record's count c of
 * z below it is kept and a fractional part t in [0, 1) is added: where ratioX/γ falls, in log scale, between
 * the z ratios just below and just above it (a continuous empirical CDF), and beyond the extreme z ratios a
 * monotone squashing of the log distance. So score = (c + t) / |Z|: the order by c is unchanged, and records
 * with the same c are ordered by their ratio.
 */
export function rmiaPairwiseScores(ratioX: Float64Array, ratioZ: Float64Array, gamma: number): Float64Array {
  const sortedZ = Float64Array.from(ratioZ).sort();
  const nz = sortedZ.length;
  const scores = new Float64Array(ratioX.length);
  for (let i = 0; i < ratioX.length; i++) {
    // ratioX/ratioZ > γ  ⇔  ratioZ < ratioX/γ (all ratios positive): count z strictly below.
    const bound = ratioX[i]! / gamma;
    let lo = 0;
    let hi = nz;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedZ[mid]! < bound) lo = mid + 1;
      else hi = mid;
    }
    scores[i] = nz > 0 ? (lo + tieBreak(Math.log(bound), sortedZ, lo)) / nz : 0;
  }
  return scores;
}

/** Keeps t strictly below 1, so a record never reaches the next count's score. */
const TIE_BREAK_SPAN = 1 - 2 ** -20;

/** t in [0, 1) for a log ratio with `below` z ratios strictly under it (see rmiaPairwiseScores). */
function tieBreak(logBound: number, sortedZ: Float64Array, below: number): number {
  const nz = sortedZ.length;
  let t: number;
  if (below === 0) {
    // Below (or at) every z: closer to the smallest z is higher.
    const d = Math.log(sortedZ[0]!) - logBound;
    t = 1 / (1 + Math.max(0, d));
  } else if (below === nz) {
    // Above every z: further above the largest z is higher.
    const d = logBound - Math.log(sortedZ[nz - 1]!);
    t = 1 - 1 / (1 + Math.max(0, d));
  } else {
    const low = Math.log(sortedZ[below - 1]!);
    const high = Math.log(sortedZ[below]!);
    t = high > low ? (logBound - low) / (high - low) : 0;
  }
  return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) * TIE_BREAK_SPAN : 0;
}

const MIN_PROBABILITY = 1e-300;

export function probabilityRatio(targetP: Float64Array, marginal: Float64Array): Float64Array {
  const ratio = new Float64Array(targetP.length);
  for (let i = 0; i < ratio.length; i++)
    ratio[i] = Math.max(targetP[i]!, MIN_PROBABILITY) / Math.max(marginal[i]!, MIN_PROBABILITY);
  return ratio;
}

export interface OfflineACalibration {
  /** The chosen a: the grid value with the best mean AUC (the first on ties), or the default when no model could play the target. */
  readonly a: number;
  /** Mean AUC over the reference models that played the target, per grid value; empty when none could. */
  readonly meanAuc: readonly number[];
  /** How many reference models played the target. */
  readonly targetsPlayed: number;
}

/**
 * The paper's choice of the offline a: each reference model j in turn plays the target, the other models are
 * its references. Rows are population rows with their true-label probabilities refP[m * n + i] and
 * inMask[m * n + i]; only rows OUT of at least one other model take part, as in the offline attack. j's known
 * members are the rows IN j, its non-members and its population z the rows OUT of j. A model with no member
 * or no non-member among them sits out.
 */
export function calibrateOfflineA(
  refP: Float64Array,
  inMask: Uint8Array,
  k: number,
  n: number,
  gamma: number,
  grid: readonly number[] = RMIA_OFFLINE_A_GRID,
): OfflineACalibration {
  const aucSums = new Float64Array(grid.length);
  let targetsPlayed = 0;
  for (let j = 0; j < k && k >= 2; j++) {
    const others = [...Array(k).keys()].filter((m) => m !== j);
    const otherP = new Float64Array((k - 1) * n);
    const otherMask = new Uint8Array((k - 1) * n);
    others.forEach((m, t) => {
      otherP.set(refP.subarray(m * n, (m + 1) * n), t * n);
      otherMask.set(inMask.subarray(m * n, (m + 1) * n), t * n);
    });
    const memberRows: number[] = [];
    const outRows: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!others.some((m) => inMask[m * n + i] !== 1)) continue;
      (inMask[j * n + i] === 1 ? memberRows : outRows).push(i);
    }
    if (memberRows.length === 0 || outRows.length === 0) continue;
    targetsPlayed++;
    const targetP = refP.subarray(j * n, (j + 1) * n);
    grid.forEach((a, g) => {
      const ratio = probabilityRatio(targetP, rmiaMarginalProbability(otherP, otherMask, k - 1, n, 'offline', a));
      const pick = (rows: number[]): Float64Array => Float64Array.from(rows, (i) => ratio[i]!);
      const ratioZ = pick(outRows);
      const auc = aucFromScores(
        rmiaPairwiseScores(pick(memberRows), ratioZ, gamma),
        rmiaPairwiseScores(ratioZ, ratioZ, gamma),
      );
      aucSums[g] = aucSums[g]! + auc;
    });
  }
  if (targetsPlayed === 0) return { a: RMIA_DEFAULT_OFFLINE_A, meanAuc: [], targetsPlayed };
  const meanAuc = Array.from(aucSums, (sum) => sum / targetsPlayed);
  let best = 0;
  for (let g = 1; g < grid.length; g++) if (meanAuc[g]! > meanAuc[best]!) best = g;
  return { a: grid[best]!, meanAuc, targetsPlayed };
}

export class RmiaAttack implements MembershipAttack {
  readonly id = 'membership.rmia' as const;
  readonly access = 'scores' as const;
  readonly referenceModels: ReferenceMode;
  readonly reference = 'Zarifzadeh, Liu, Shokri, "Low-Cost High-Power Membership Inference Attacks", ICML 2024 (RMIA)';
  private readonly offlineA: number | 'calibrate';
  private readonly gamma: number;
  private readonly populationSamples: number;

  constructor(options: RmiaOptions = {}) {
    this.referenceModels = options.mode ?? 'offline';
    this.offlineA = options.offlineA ?? 'calibrate';
    this.gamma = options.gamma ?? 1;
    this.populationSamples = options.populationSamples ?? 1000;
    if (this.offlineA !== 'calibrate' && !(this.offlineA >= 0 && this.offlineA <= 1))
      throw new EngineError(EngineErrorCode.InvalidOption, 'RMIA offline parameter a must be in [0, 1]');
    if (!(this.gamma > 0)) throw new EngineError(EngineErrorCode.InvalidOption, 'RMIA gamma must be positive');
    if (!(this.populationSamples >= 1))
      throw new EngineError(EngineErrorCode.InvalidOption, 'RMIA needs at least one population sample');
  }

  /** The population points z the target is asked about (Zarifzadeh et al.: Pr(z|θ)). */
  plannedTargetQueries(audit: { readonly nPopulation: number }): number {
    return Math.min(this.populationSamples, audit.nPopulation);
  }

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const population = ctx.population;
    if (!population || population.nRows === 0) {
      throw new EngineError(
        EngineErrorCode.AttackNeedsPopulation,
        `${this.id} compares records against population data; provide a population file`,
      );
    }
    const mode = this.referenceModels;
    const set = await obtainReferenceModels(ctx, this.id, mode);
    if (set.nPopulation !== population.nRows) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${this.id}: reference pool has ${set.nPopulation} population rows, the audit ${population.nRows}`,
      );
    }
    const audited = auditedRecords(ctx.members, ctx.nonMembers);
    const zRows = this.samplePopulation(set.inMask, set.k, set.nRecords, set.nPopulation, mode, ctx.seed);
    const nz = zRows.length;
    const zFeatures = new Float32Array(nz * population.nFeatures);
    const zLabels = new Int32Array(nz);
    zRows.forEach((row, j) => {
      zFeatures.set(
        population.features.subarray(row * population.nFeatures, (row + 1) * population.nFeatures),
        j * population.nFeatures,
      );
      zLabels[j] = population.labels[row]!;
    });
    const zMask = new Uint8Array(set.k * nz);
    for (let m = 0; m < set.k; m++)
      zRows.forEach((row, j) => (zMask[m * nz + j] = set.inMask[m * set.nRecords + row]!));

    const refPx = new Float64Array(set.k * audited.nRows);
    const refPz = new Float64Array(set.k * nz);
    for (let m = 0; m < set.k; m++) {
      refPx.set(
        trueLabelProbability(await set.predict(m, audited.features, audited.nRows), audited.labels, audited.nRows),
        m * audited.nRows,
      );
      refPz.set(trueLabelProbability(await set.predict(m, zFeatures, nz), zLabels, nz), m * nz);
      ctx.onProgress?.((0.8 * (m + 1)) / set.k, `reference model ${m + 1}/${set.k}`);
    }
    const targetPz = trueLabelProbability(await ctx.target.predict(zFeatures, nz), zLabels, nz);
    const targetPx = trueLabelProbability(auditedTargetOutputs(ctx), audited.labels, audited.nRows);

    const offlineA =
      mode === 'offline' ? this.chooseOfflineA(refPz, zMask, set.k, nz, ctx.onProgress) : RMIA_DEFAULT_OFFLINE_A;
    const xMask = auditedInMask(set.inMask, set.k, set.nRecords, set.nPopulation, audited.nRows);
    const ratioX = probabilityRatio(
      targetPx,
      rmiaMarginalProbability(refPx, xMask, set.k, audited.nRows, mode, offlineA),
    );
    const ratioZ = probabilityRatio(targetPz, rmiaMarginalProbability(refPz, zMask, set.k, nz, mode, offlineA));
    const scores = rmiaPairwiseScores(ratioX, ratioZ, this.gamma);
    ctx.onProgress?.(1);
    return splitScores(this.id, scores, audited.nMembers);
  }

  /** The fixed a, or the calibrated one on the sampled population rows the models already scored; reported either way. */
  private chooseOfflineA(
    refPz: Float64Array,
    zMask: Uint8Array,
    k: number,
    nz: number,
    onProgress?: (fraction: number, message?: string) => void,
  ): number {
    if (this.offlineA !== 'calibrate') {
      onProgress?.(0.9, `offline a = ${this.offlineA} (set)`);
      return this.offlineA;
    }
    const calibration = calibrateOfflineA(refPz, zMask, k, nz, this.gamma);
    if (calibration.targetsPlayed === 0) {
      onProgress?.(
        0.9,
        `offline a = ${calibration.a} (default: calibration needs at least 2 reference models with population members and non-members)`,
      );
    } else {
      const auc = calibration.meanAuc[RMIA_OFFLINE_A_GRID.indexOf(calibration.a)]!;
      onProgress?.(
        0.9,
        `offline a = ${calibration.a} (calibrated on ${calibration.targetsPlayed} reference models as targets, mean AUC ${auc.toFixed(3)})`,
      );
    }
    return calibration.a;
  }

  /** Seeded sample of population rows; offline, rows OUT of at least one model first, so Pr(z) is treated as Pr(x). */
  private samplePopulation(
    inMask: Uint8Array,
    k: number,
    nRecords: number,
    nPopulation: number,
    mode: ReferenceMode,
    seed: number,
  ): number[] {
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
