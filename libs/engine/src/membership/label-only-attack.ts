// Label-only membership inference — Choquette-Choo, Tramèr, Carlini, Papernot, "Label-Only Membership
// Inference Attacks", ICML 2021 (§4, data augmentation / noise robustness). A model is more robust around
// the records it was trained on: the predicted label of a member survives input noise more often. Each
// audited record is queried as N noisy copies (Gaussian noise scaled to each feature's population standard
// deviation, over a grid of noise scales, since no shadow model is trained to pick one); the score is the
// fraction of copies still given the true label, and 0 when the clean record is already misclassified.
// Uses only the target's predicted labels (argmax), so it serves label-only APIs.

import { EngineError, EngineErrorCode } from '../errors';
import { deriveSeed, SeededRandom } from '../random/seeded-random';
import type {
  LabeledDataset,
  MembershipAttack,
  MembershipAttackContext,
  MembershipScores,
  TargetOutputs,
} from '../types';
import { auditedRecords, auditedTargetOutputs, splitScores } from './audited-records';

export interface LabelOnlyOptions {
  /** Noise scales, as multiples of each feature's standard deviation; default [0.25, 0.5, 1]. */
  readonly noiseScales?: readonly number[];
  /** Noisy copies per record and per scale; default 16. */
  readonly copiesPerScale?: number;
  /** Rows per target query; default 4096. */
  readonly batchRows?: number;
}

const SEED_SALT_NOISE = 0x1abe1;

export class LabelOnlyAttack implements MembershipAttack {
  readonly id = 'membership.label-only' as const;
  readonly access = 'labels' as const;
  readonly referenceModels = 'none' as const;
  readonly reference =
    'Choquette-Choo, Tramèr, Carlini, Papernot, "Label-Only Membership Inference Attacks", ICML 2021';
  private readonly noiseScales: readonly number[];
  private readonly copiesPerScale: number;
  private readonly batchRows: number;

  constructor(options: LabelOnlyOptions = {}) {
    this.noiseScales = options.noiseScales ?? [0.25, 0.5, 1];
    this.copiesPerScale = options.copiesPerScale ?? 16;
    this.batchRows = options.batchRows ?? 4096;
    if (this.noiseScales.length === 0 || this.noiseScales.some((s) => !(s > 0))) {
      throw new EngineError(EngineErrorCode.InvalidOption, 'label-only noise scales must be positive');
    }
    if (!(this.copiesPerScale >= 1))
      throw new EngineError(EngineErrorCode.InvalidOption, 'label-only needs at least one noisy copy per scale');
  }

  /** Each audited record's noisy copies (the clean records are the audit's shared query). */
  plannedTargetQueries(audit: { readonly nAudited: number }): number {
    return audit.nAudited * this.noiseScales.length * this.copiesPerScale;
  }

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const audited = auditedRecords(ctx.members, ctx.nonMembers);
    const d = audited.nFeatures;
    const std = featureStandardDeviations(
      ctx.population && ctx.population.nRows > 1 ? [ctx.population] : [ctx.members, ctx.nonMembers],
    );
    const cleanCorrect = labelsMatch(auditedTargetOutputs(ctx), audited.labels, audited.nRows);
    const copies = this.noiseScales.length * this.copiesPerScale;
    const correct = new Int32Array(audited.nRows);
    const rng = new SeededRandom(deriveSeed(ctx.seed, SEED_SALT_NOISE));

    // Records are processed in blocks so one query holds about batchRows noisy rows.
    const recordsPerBlock = Math.max(1, Math.floor(this.batchRows / copies));
    for (let start = 0; start < audited.nRows; start += recordsPerBlock) {
      const end = Math.min(audited.nRows, start + recordsPerBlock);
      const nRows = (end - start) * copies;
      const noisy = new Float32Array(nRows * d);
      const labels = new Int32Array(nRows);
      let row = 0;
      for (let i = start; i < end; i++) {
        for (const scale of this.noiseScales) {
          for (let c = 0; c < this.copiesPerScale; c++, row++) {
            for (let f = 0; f < d; f++)
              noisy[row * d + f] = audited.features[i * d + f]! + scale * std[f]! * rng.normal();
            labels[row] = audited.labels[i]!;
          }
        }
      }
      const match = labelsMatch(await ctx.target.predict(noisy, nRows), labels, nRows);
      for (let r = 0; r < nRows; r++) if (match[r]) correct[start + Math.floor(r / copies)]! += 1;
      ctx.onProgress?.(end / audited.nRows, 'querying noisy copies');
    }

    const scores = new Float64Array(audited.nRows);
    for (let i = 0; i < audited.nRows; i++) scores[i] = cleanCorrect[i] ? correct[i]! / copies : 0;
    return splitScores(this.id, scores, audited.nMembers);
  }
}

/** Whether the predicted label (argmax) of each row equals its true label. */
export function labelsMatch(outputs: TargetOutputs, labels: Int32Array, nRows: number): Uint8Array {
  const numClasses = nRows > 0 ? outputs.probabilities.length / nRows : 0;
  const match = new Uint8Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let best = 0;
    for (let j = 1; j < numClasses; j++)
      if (outputs.probabilities[r * numClasses + j]! > outputs.probabilities[r * numClasses + best]!) best = j;
    match[r] = best === labels[r] ? 1 : 0;
  }
  return match;
}

/** Per-feature standard deviation over the rows of the given datasets (0 for constant features). */
export function featureStandardDeviations(datasets: readonly LabeledDataset[]): Float64Array {
  const d = datasets[0]?.nFeatures ?? 0;
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  let n = 0;
  for (const ds of datasets) {
    for (let r = 0; r < ds.nRows; r++) {
      for (let f = 0; f < d; f++) {
        const v = ds.features[r * d + f]!;
        sum[f]! += v;
        sumSq[f]! += v * v;
      }
    }
    n += ds.nRows;
  }
  const std = new Float64Array(d);
  for (let f = 0; f < d; f++) {
    const mean = sum[f]! / n;
    std[f] = Math.sqrt(Math.max(0, sumSq[f]! / n - mean * mean));
  }
  return std;
}
