import type { LabeledDataset, MembershipScores } from '../types';
import { sliceMembershipMetrics } from './slices';

function dataset(labels: number[], groups?: string[]): LabeledDataset {
  return {
    featureNames: ['x'],
    nRows: labels.length,
    nFeatures: 1,
    features: new Float32Array(labels.length),
    labels: Int32Array.from(labels),
    rowIds: labels.map((_, i) => String(i + 1)),
    sha256: '',
    ...(groups ? { groups } : {}),
  };
}

describe('sliceMembershipMetrics', () => {
  it('measures each class and group with enough records and notes the small ones', () => {
    // Class 0: 30 + 30 perfectly separated; class 1: 5 + 5 (too few). Groups: 'a' leaks, 'b' does not.
    const memberLabels = [...Array(30).fill(0), ...Array(5).fill(1)];
    const nonMemberLabels = [...Array(30).fill(0), ...Array(5).fill(1)];
    const groups = Array.from({ length: 35 }, (_, i) => (i % 2 ? 'a' : 'b'));
    const members = Float64Array.from(memberLabels, (_, i) => (groups[i] === 'a' ? 10 + i : i / 100));
    const nonMembers = Float64Array.from(nonMemberLabels, (_, i) => i / 100 + 0.001);
    const scores: MembershipScores = { attack: 'membership.loss', members, nonMembers };
    const sliced = sliceMembershipMetrics(scores, dataset(memberLabels, groups), dataset(nonMemberLabels, groups), {
      minSliceSize: 10,
    });
    expect(sliced.byClass.map((s) => [s.value, s.nMembers, s.nNonMembers])).toEqual([
      ['0', 30, 30],
      ['1', 5, 5],
    ]);
    expect(sliced.byClass[0]!.metrics).toBeDefined();
    expect(sliced.byClass[1]!.metrics).toBeUndefined();
    expect(sliced.byClass[1]!.note).toMatch(/too few/);
    const a = sliced.byGroup!.find((s) => s.value === 'a')!;
    const b = sliced.byGroup!.find((s) => s.value === 'b')!;
    expect(a.metrics!.auc).toBe(1);
    expect(b.metrics!.auc).toBeLessThan(0.6);
  });

  it('has no group slices when no group column was declared, and the default minimum is 20', () => {
    const scores: MembershipScores = {
      attack: 'membership.loss',
      members: new Float64Array(19),
      nonMembers: new Float64Array(19),
    };
    const sliced = sliceMembershipMetrics(scores, dataset(Array(19).fill(0)), dataset(Array(19).fill(0)));
    expect(sliced.byGroup).toBeUndefined();
    expect(sliced.byClass[0]!.metrics).toBeUndefined();
  });
});
