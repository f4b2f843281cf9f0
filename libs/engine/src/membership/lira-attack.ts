// LiRA, online variant — Carlini, Chien, Nasr, Song, Terzis, Tramèr, "Membership Inference Attacks From
// First Principles", IEEE S&P 2022. Reference models are trained on random halves of a pool that contains
// the audited records, so each record is IN about half of them. Per record, Gaussians are fitted to the
// logit-scaled true-label confidence φ under the IN models and under the OUT models, and the target's φ
// is scored by the log-likelihood ratio log N(φ; μ_in, σ_in²) − log N(φ; μ_out, σ_out²).
// With few models (< 64) per-record variances are too noisy, so the paper's "global variance" is used:
// one variance pooled across records (§VI-A); per-record variances from 64 models on.

import type {
  AttackId,
  MembershipAttack,
  MembershipAttackContext,
  MembershipScores,
  ReferenceMode,
  ReferenceModelSet,
} from '../types';
import {
  auditedRecords,
  auditedTargetOutputs,
  obtainReferenceModels,
  referenceOutputs,
  splitScores,
} from './audited-records';
import { gaussianLogPdf } from './gaussian';
import { logitScaledConfidence } from './logit-scaling';

export type LiraVariance = 'global' | 'per-example' | 'auto';

export interface LiraOptions {
  /** 'auto' (default): global variance below 64 reference models, per-example from 64 on. */
  readonly variance?: LiraVariance;
}

/** Per-example variance needs this many models (Carlini et al. use global variance below it). */
export const LIRA_PER_EXAMPLE_MIN_MODELS = 64;

const VARIANCE_FLOOR = 1e-6;

/** Gaussian fitted to one record's φ under a subset of the reference models. */
export interface RecordGaussians {
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Number of reference models that contributed to each record's fit. */
  readonly count: Int32Array;
}

/**
 * Fits, per record i, a Gaussian to refPhi[m * nRecords + i] over the models m with include(m, i).
 * Variance is pooled across records (Σ squared deviations / Σ (n_i − 1)) when `pooled`, else per record;
 * records with fewer than two models fall back to the pooled variance.
 */
export function fitRecordGaussians(
  refPhi: Float64Array,
  k: number,
  nRecords: number,
  include: (m: number, i: number) => boolean,
  pooled: boolean,
): RecordGaussians {
  const mean = new Float64Array(nRecords);
  const variance = new Float64Array(nRecords);
  const count = new Int32Array(nRecords);
  let pooledSs = 0;
  let pooledDof = 0;
  for (let i = 0; i < nRecords; i++) {
    let sum = 0;
    let n = 0;
    for (let m = 0; m < k; m++) {
      if (!include(m, i)) continue;
      sum += refPhi[m * nRecords + i] as number;
      n++;
    }
    count[i] = n;
    if (n === 0) {
      mean[i] = NaN;
      continue;
    }
    const mu = sum / n;
    let ss = 0;
    for (let m = 0; m < k; m++) {
      if (!include(m, i)) continue;
      const d = (refPhi[m * nRecords + i] as number) - mu;
      ss += d * d;
    }
    mean[i] = mu;
    variance[i] = n > 1 ? ss / (n - 1) : NaN;
    pooledSs += ss;
    pooledDof += Math.max(0, n - 1);
  }
  const pooledVariance = Math.max(pooledDof > 0 ? pooledSs / pooledDof : 1, VARIANCE_FLOOR);
  for (let i = 0; i < nRecords; i++) {
    const v = variance[i] as number;
    variance[i] = pooled || !(v >= 0) ? pooledVariance : Math.max(v, VARIANCE_FLOOR);
  }
  return { mean, variance, count };
}

/**
 * Online LiRA scores. refPhi[m * nRecords + i] is φ of record i under reference model m, inMask (same
 * layout) says whether record i was in model m's training set.
 */
export function liraOnlineScores(
  targetPhi: Float64Array,
  refPhi: Float64Array,
  inMask: Uint8Array,
  k: number,
  options: { readonly pooledVariance: boolean },
): Float64Array {
  const n = targetPhi.length;
  const fitIn = fitRecordGaussians(refPhi, k, n, (m, i) => inMask[m * n + i] === 1, options.pooledVariance);
  const fitOut = fitRecordGaussians(refPhi, k, n, (m, i) => inMask[m * n + i] !== 1, options.pooledVariance);

  // A record that happens to be IN (or OUT) of every model borrows the average IN−OUT shift of the others.
  let shiftSum = 0;
  let shiftCount = 0;
  for (let i = 0; i < n; i++) {
    if (fitIn.count[i]! > 0 && fitOut.count[i]! > 0) {
      shiftSum += fitIn.mean[i]! - fitOut.mean[i]!;
      shiftCount++;
    }
  }
  const shift = shiftCount > 0 ? shiftSum / shiftCount : 0;

  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const muIn = fitIn.count[i]! > 0 ? fitIn.mean[i]! : fitOut.mean[i]! + shift;
    const muOut = fitOut.count[i]! > 0 ? fitOut.mean[i]! : fitIn.mean[i]! - shift;
    const phi = targetPhi[i]!;
    scores[i] = gaussianLogPdf(phi, muIn, fitIn.variance[i]!) - gaussianLogPdf(phi, muOut, fitOut.variance[i]!);
  }
  return scores;
}

/** φ of every audited record under every reference model, laid out [m * nAudited + i]. */
export async function referencePhi(
  ctx: MembershipAttackContext,
  set: ReferenceModelSet,
  progressShare = 0.9,
): Promise<Float64Array> {
  const audited = auditedRecords(ctx.members, ctx.nonMembers);
  const outputs = await referenceOutputs(set, audited.features, audited.nRows, (f) =>
    ctx.onProgress?.(f * progressShare, 'querying reference models'),
  );
  const refPhi = new Float64Array(set.k * audited.nRows);
  outputs.forEach((o, m) => refPhi.set(logitScaledConfidence(o, audited.labels, audited.nRows), m * audited.nRows));
  return refPhi;
}

export class LiraAttack implements MembershipAttack {
  readonly id = 'membership.lira' as const;
  readonly access = 'scores' as const;
  readonly referenceModels = 'online' as const;
  readonly reference =
    'Carlini et al., "Membership Inference Attacks From First Principles", IEEE S&P 2022 (online LiRA)';

  constructor(private readonly options: LiraOptions = {}) {}

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const input = await liraInputs(ctx, this.id, 'online', this.options);
    const scores = liraOnlineScores(input.targetPhi, input.refPhi, input.inMask, input.k, input);
    ctx.onProgress?.(1);
    return splitScores(this.id, scores, input.nMembers);
  }
}

/** What both LiRA variants fit their Gaussians on: φ of the audited records under the target and each reference model. */
export interface LiraInputs {
  readonly k: number;
  readonly nMembers: number;
  readonly targetPhi: Float64Array;
  readonly refPhi: Float64Array;
  /** IN/OUT of each audited record per reference model, [m * nAudited + i]. */
  readonly inMask: Uint8Array;
  readonly pooledVariance: boolean;
}

export async function liraInputs(
  ctx: MembershipAttackContext,
  attack: AttackId,
  mode: ReferenceMode,
  options: LiraOptions,
): Promise<LiraInputs> {
  const set = await obtainReferenceModels(ctx, attack, mode);
  const audited = auditedRecords(ctx.members, ctx.nonMembers);
  const refPhi = await referencePhi(ctx, set);
  const inMask = auditedInMask(set.inMask, set.k, set.nRecords, set.nPopulation, audited.nRows);
  const targetPhi = logitScaledConfidence(auditedTargetOutputs(ctx), audited.labels, audited.nRows);
  const variance = options.variance ?? 'auto';
  const pooledVariance = variance === 'global' || (variance === 'auto' && set.k < LIRA_PER_EXAMPLE_MIN_MODELS);
  return { k: set.k, nMembers: audited.nMembers, targetPhi, refPhi, inMask, pooledVariance };
}

/** The slice of a pool's inMask that covers the audited records, laid out [m * nAudited + i]. */
export function auditedInMask(
  inMask: Uint8Array,
  k: number,
  nRecords: number,
  nPopulation: number,
  nAudited: number,
): Uint8Array {
  const out = new Uint8Array(k * nAudited);
  for (let m = 0; m < k; m++)
    out.set(inMask.subarray(m * nRecords + nPopulation, m * nRecords + nPopulation + nAudited), m * nAudited);
  return out;
}
