// The audited records (members, then non-members) as one block, in the order reference model pools use
// after the population rows, and the plumbing every reference-model attack shares.

import { EngineError, EngineErrorCode } from '../errors';
import type {
  AttackId,
  MembershipAttackId,
  LabeledDataset,
  MembershipAttackContext,
  MembershipScores,
  ReferenceMode,
  ReferenceModelSet,
  TargetOutputs,
} from '../types';

export interface AuditedRecords {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly nRows: number;
  readonly nMembers: number;
  readonly nFeatures: number;
}

export function auditedRecords(members: LabeledDataset, nonMembers: LabeledDataset): AuditedRecords {
  const nFeatures = members.nFeatures;
  const features = new Float32Array((members.nRows + nonMembers.nRows) * nFeatures);
  features.set(members.features, 0);
  features.set(nonMembers.features, members.nRows * nFeatures);
  const labels = new Int32Array(members.nRows + nonMembers.nRows);
  labels.set(members.labels, 0);
  labels.set(nonMembers.labels, members.nRows);
  return { features, labels, nRows: labels.length, nMembers: members.nRows, nFeatures };
}

/** Target outputs on the audited records, members first, as computed once by the audit. */
export function auditedTargetOutputs(ctx: MembershipAttackContext): TargetOutputs {
  const concat = (a: Float32Array, b: Float32Array): Float32Array => {
    const out = new Float32Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  };
  const { memberOutputs: m, nonMemberOutputs: n } = ctx;
  return {
    probabilities: concat(m.probabilities, n.probabilities),
    logits: m.logits && n.logits ? concat(m.logits, n.logits) : undefined,
  };
}

export function splitScores(attack: MembershipAttackId, scores: Float64Array, nMembers: number): MembershipScores {
  return { attack, members: scores.slice(0, nMembers), nonMembers: scores.slice(nMembers) };
}

/** The reference models an attack needs, checked against the audited record counts. */
export async function obtainReferenceModels(
  ctx: MembershipAttackContext,
  attack: AttackId,
  mode: ReferenceMode,
): Promise<ReferenceModelSet> {
  if (!ctx.references) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      `${attack} needs reference models trained on population data; provide a population file`,
    );
  }
  const set = await ctx.references.obtain(mode);
  const expected = set.nPopulation + ctx.members.nRows + ctx.nonMembers.nRows;
  if (set.nRecords !== expected || set.inMask.length !== set.k * set.nRecords) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `${attack}: reference model pool has ${set.nRecords} records, expected ${expected} (population, members, non-members)`,
    );
  }
  return set;
}

/** Outputs of each reference model on the given rows, one entry per model, reporting progress. */
export async function referenceOutputs(
  set: ReferenceModelSet,
  features: Float32Array,
  nRows: number,
  onProgress?: (fraction: number, message?: string) => void,
): Promise<TargetOutputs[]> {
  const outputs: TargetOutputs[] = [];
  for (let m = 0; m < set.k; m++) {
    outputs.push(await set.predict(m, features, nRows));
    onProgress?.((m + 1) / set.k, `reference model ${m + 1}/${set.k}`);
  }
  return outputs;
}
