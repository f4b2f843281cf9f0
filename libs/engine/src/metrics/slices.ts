// Membership leakage by slice: per class and per value of a declared sensitive/group column, so a report
// shows who leaks, not only how much on average (the aggregate can hide a small, exposed subgroup).
// A slice needs enough members and non-members for its TPR and AUC to mean anything; smaller ones are
// listed with a note instead of a number.

import type { LabeledDataset, MembershipMetrics, MembershipScores } from '../types';
import { computeMembershipMetrics } from './membership-metrics';

/** Fewer members or non-members than this in a slice and no metrics are computed for it. */
export const MIN_SLICE_SIZE = 20;

export interface SliceMetrics {
  readonly value: string;
  readonly metrics?: MembershipMetrics;
  readonly nMembers: number;
  readonly nNonMembers: number;
  readonly note?: string;
}

export interface SlicedMembershipMetrics {
  readonly byClass: SliceMetrics[];
  /** Present when both datasets carry a declared group column. */
  readonly byGroup?: SliceMetrics[];
}

export function sliceMembershipMetrics(
  scores: MembershipScores,
  members: LabeledDataset,
  nonMembers: LabeledDataset,
  options: { readonly minSliceSize?: number; readonly classNames?: readonly string[] } = {},
): SlicedMembershipMetrics {
  const minSize = options.minSliceSize ?? MIN_SLICE_SIZE;
  const classKey = (label: number): string => options.classNames?.[label] ?? String(label);
  const byClass = sliceBy(
    scores,
    Array.from(members.labels, classKey),
    Array.from(nonMembers.labels, classKey),
    minSize,
  );
  const byGroup =
    members.groups && nonMembers.groups ? sliceBy(scores, members.groups, nonMembers.groups, minSize) : undefined;
  return byGroup ? { byClass, byGroup } : { byClass };
}

function sliceBy(
  scores: MembershipScores,
  memberKeys: readonly string[],
  nonMemberKeys: readonly string[],
  minSize: number,
): SliceMetrics[] {
  const values = [...new Set([...memberKeys, ...nonMemberKeys])].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  return values.map((value) => {
    const m = Float64Array.from(scores.members.filter((_, i) => memberKeys[i] === value));
    const n = Float64Array.from(scores.nonMembers.filter((_, i) => nonMemberKeys[i] === value));
    if (m.length < minSize || n.length < minSize) {
      return {
        value,
        nMembers: m.length,
        nNonMembers: n.length,
        note: `too few records to measure (need at least ${minSize} members and ${minSize} non-members)`,
      };
    }
    return {
      value,
      metrics: computeMembershipMetrics(m, n, { attack: scores.attack }),
      nMembers: m.length,
      nNonMembers: n.length,
    };
  });
}
