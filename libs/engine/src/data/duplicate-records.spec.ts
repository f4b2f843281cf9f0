import type { LabeledDataset } from '../types';
import { describeDuplicateRecords, resolveDuplicateRecords } from './duplicate-records';

function dataset(rows: number[][], labels: number[], prefix: string, groups?: string[]): LabeledDataset {
  return {
    featureNames: rows[0]?.map((_, i) => `f${i}`) ?? [],
    nRows: rows.length,
    nFeatures: rows[0]?.length ?? 0,
    features: Float32Array.from(rows.flat()),
    labels: Int32Array.from(labels),
    rowIds: rows.map((_, i) => `${prefix}${i + 1}`),
    sha256: prefix,
    ...(groups ? { groups } : {}),
  };
}

describe('resolveDuplicateRecords', () => {
  const members = dataset(
    [
      [1, 2],
      [3, 4],
      [1, 2],
    ],
    [0, 1, 0],
    'm',
  );
  // n1 twins m1 (and m3); n2 has m2's features under another label (not a twin); n3 is new.
  const nonMembers = dataset(
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    [0, 0, 1],
    'n',
    ['a', 'b', 'c'],
  );
  // p1 twins n3, p2 twins m2, p3 and p4 are new and identical to each other.
  const population = dataset(
    [
      [5, 6],
      [3, 4],
      [7, 8],
      [7, 8],
    ],
    [1, 1, 0, 0],
    'p',
  );

  it("counts twins across and within roles and, by default ('exclude'), leaves them out", () => {
    const out = resolveDuplicateRecords(members, nonMembers, population);
    expect(out.duplicates).toEqual({
      policy: 'exclude',
      nonMembersMatchingMembers: 1,
      populationMatchingAudited: 2,
      withinMembers: 1,
      withinNonMembers: 0,
      withinPopulation: 1,
      excludedNonMembers: 1,
      excludedPopulation: 2,
    });
    expect(out.members).toBe(members);
    expect(out.nonMembers.rowIds).toEqual(['n2', 'n3']);
    expect(out.nonMembers.groups).toEqual(['b', 'c']);
    expect(Array.from(out.nonMembers.labels)).toEqual([0, 1]);
    expect(Array.from(out.nonMembers.features)).toEqual([3, 4, 5, 6]);
    expect(out.population?.rowIds).toEqual(['p3', 'p4']);
    const note = describeDuplicateRecords(out.duplicates) ?? '';
    expect(note).toContain('1 non-member(s) identical to a member left out');
    expect(note).not.toMatch(/\b[5-8]\b.*\b[5-8]\b/);
  });

  it("'keep' audits every row as given and still counts", () => {
    const out = resolveDuplicateRecords(members, nonMembers, population, 'keep');
    expect(out.nonMembers).toBe(nonMembers);
    expect(out.population).toBe(population);
    expect(out.duplicates).toMatchObject({
      policy: 'keep',
      nonMembersMatchingMembers: 1,
      populationMatchingAudited: 2,
      excludedNonMembers: 0,
      excludedPopulation: 0,
    });
  });

  it('reports nothing when there are no twins', () => {
    const out = resolveDuplicateRecords(members, dataset([[9, 9]], [1], 'n'), undefined);
    expect(out.duplicates.nonMembersMatchingMembers).toBe(0);
    expect(out.duplicates.withinMembers).toBe(1);
    expect(out.population).toBeUndefined();
  });
});
