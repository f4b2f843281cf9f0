import { sliceMembershipMetrics } from '../metrics/slices';
import { SeededRandom } from '../random/seeded-random';
import type { LabeledDataset, SliceLeakage } from '../types';
import { buildMembershipFinding, mostExposedMembers } from './build-report';
import { compactSlices, groupLeakageSentence, mostLeakingSlice } from './finding-slices';
import { computeMembershipMetrics } from '../metrics/membership-metrics';

const dataset = (groups: string[]): LabeledDataset => ({
  featureNames: ['x'],
  nRows: groups.length,
  nFeatures: 1,
  features: new Float32Array(groups.length),
  labels: Int32Array.from(groups, (_, i) => i % 2),
  rowIds: groups.map((_, i) => `id-${i}`),
  sha256: 'x',
  groups,
});

const slice = (value: string, tpr1Lower: number, auc: number): SliceLeakage => ({
  value,
  nMembers: 100,
  nNonMembers: 100,
  metrics: {
    auc,
    advantage: 0,
    tpr: { '0.001': 0, '0.01': tpr1Lower },
    tprInterval: { '0.001': { lower: 0, upper: 0 }, '0.01': { lower: tpr1Lower, upper: 1 } },
  },
});

describe('finding slices', () => {
  it('ranks slices by the lower bound of TPR at 1% FPR, then AUC, skipping unmeasured slices', () => {
    const small: SliceLeakage = { value: 'tiny', nMembers: 3, nNonMembers: 2, note: 'too few' };
    expect(mostLeakingSlice([slice('a', 0.1, 0.9), slice('b', 0.2, 0.6), small])?.value).toBe('b');
    expect(mostLeakingSlice([slice('a', 0.2, 0.7), slice('b', 0.2, 0.8)])?.value).toBe('b');
    expect(mostLeakingSlice([small])).toBeUndefined();
    expect(groupLeakageSentence([small], 'sex')).toBe(
      "No group of 'sex' had enough records to be measured on its own.",
    );
    expect(groupLeakageSentence([slice('a', 0.1, 0.9), slice('b', 0.2, 0.6)], 'sex')).toMatch(
      /^By 'sex', group 'b' leaks most of the 2 measured groups: .*\(at least 20\.00% .* ROC AUC 0\.600\.$/,
    );
  });

  it('compacts per-slice metrics (no ROC points) and puts the leakiest group in the finding summary', () => {
    const rng = new SeededRandom(3);
    const n = 400;
    const groups = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 'exposed' : 'other'));
    // Only the 'exposed' group's members stand out.
    const members = Float64Array.from(groups, (g) => rng.normal() + (g === 'exposed' ? 3 : 0));
    const nonMembers = Float64Array.from(groups, () => rng.normal());
    const scores = { attack: 'membership.loss' as const, members, nonMembers };
    const slices = compactSlices(sliceMembershipMetrics(scores, dataset(groups), dataset(groups)));
    expect(slices.byGroup?.map((s) => [s.value, s.nMembers, s.nNonMembers])).toEqual([
      ['exposed', 100, 100],
      ['other', 300, 300],
    ]);
    expect(Object.keys(slices.byGroup![0]!.metrics!).sort()).toEqual(['advantage', 'auc', 'tpr', 'tprInterval']);
    expect(slices.byClass.map((s) => s.value)).toEqual(['0', '1']);

    const finding = buildMembershipFinding({
      attack: { id: 'membership.loss', reference: 'Yeom et al. 2018' },
      scores,
      metrics: computeMembershipMetrics(members, nonMembers),
      memberRowIds: dataset(groups).rowIds,
      slices,
      groupColumn: 'cohort',
    });
    expect(finding.slices).toBe(slices);
    expect(finding.summary).toContain("By 'cohort', group 'exposed' leaks most");
    // Without a declared group column there is no group sentence.
    const { byGroup: _dropped, ...classOnly } = slices;
    const plain = buildMembershipFinding({
      attack: { id: 'membership.loss', reference: 'Yeom et al. 2018' },
      scores,
      metrics: computeMembershipMetrics(members, nonMembers),
      memberRowIds: dataset(groups).rowIds,
      slices: classOnly,
    });
    expect(plain.summary).not.toContain('leaks most');
  });

  it('attaches each exposed member its own privacy risk', () => {
    const exposed = mostExposedMembers(
      Float64Array.of(0.1, 0.9, 0.5),
      ['a', 'b', 'c'],
      2,
      Float64Array.of(0.2, 0.8, 0.6),
    );
    expect(exposed).toEqual([
      { rowId: 'b', score: 0.9, rank: 1, privacyRisk: 0.8 },
      { rowId: 'c', score: 0.5, rank: 2, privacyRisk: 0.6 },
    ]);
  });
});
