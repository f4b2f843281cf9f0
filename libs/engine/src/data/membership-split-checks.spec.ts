import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';
import { assertDistinctRowIds, assertEnoughRows } from './membership-split-checks';

function dataset(rows: number[][], labels: number[], rowIds?: string[]): LabeledDataset {
  return {
    featureNames: rows[0]?.map((_, i) => `f${i}`) ?? [],
    nRows: rows.length,
    nFeatures: rows[0]?.length ?? 0,
    features: Float32Array.from(rows.flat()),
    labels: Int32Array.from(labels),
    rowIds: rowIds ?? rows.map((_, i) => String(i + 1)),
    sha256: 'x',
  };
}

function errorOf(fn: () => void): EngineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

describe('assertDistinctRowIds', () => {
  const members = dataset(
    [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ],
    [0, 1, 0, 1, 0],
    ['m1', 'm2', 'm3', 'm4', 'm5'],
  );
  const roles = (nonMembers: LabeledDataset, population?: LabeledDataset) => [
    { dataset: members, label: 'members.csv', role: 'members' },
    { dataset: nonMembers, label: 'nonmembers.csv', role: 'non-members' },
    ...(population ? [{ dataset: population, label: 'population.csv', role: 'population' }] : []),
  ];

  it('accepts identical content under different ids: real tables hold such twins', () => {
    const nonMembers = dataset(
      [
        [9, 10],
        [3, 4],
      ],
      [0, 1],
      ['n1', 'n2'],
    );
    expect(() => assertDistinctRowIds(roles(nonMembers))).not.toThrow();
  });

  it('refuses a row id among members and non-members, naming at most 3 rows, never ids or values', () => {
    const nonMembers = dataset(
      [
        [100, 200],
        [300, 400],
        [500, 600],
        [700, 800],
      ],
      [1, 1, 1, 1],
      ['m3', 'm1', 'm2', 'm4'],
    );
    const err = errorOf(() => assertDistinctRowIds(roles(nonMembers)));
    expect(err.code).toBe(EngineErrorCode.MembersNonMembersOverlap);
    expect(err.message).toContain('4 row id(s)');
    expect(err.message).toContain('rows 1, 2, 3, ... of nonmembers.csv');
    expect(err.message).not.toMatch(/\bm[1-4]\b/);
    expect(err.location?.row).toBe(1);
    expect(err.message).toContain('members.csv');
    expect(err.message).not.toMatch(/\b(100|200)\b/);
  });

  it('refuses a population row id that is also an audited id', () => {
    const nonMembers = dataset([[1, 1]], [1], ['n1']);
    const population = dataset([[2, 2]], [1], ['n1']);
    const err = errorOf(() => assertDistinctRowIds(roles(nonMembers, population)));
    expect(err.code).toBe(EngineErrorCode.PopulationOverlapsAudit);
    expect(err.message).toContain('population.csv');
    expect(err.location?.file).toBe('population.csv');
  });
});

describe('assertEnoughRows', () => {
  it('names the file, the count, the minimum and the purpose', () => {
    const ds = dataset([[1], [2], [3]], [0, 1, 0]);
    const err = errorOf(() => assertEnoughRows(ds, 1000, 'members.csv', 'TPR at 0.1% FPR'));
    expect(err.code).toBe(EngineErrorCode.TooFewRows);
    expect(err.message).toBe('members.csv has 3 rows, TPR at 0.1% FPR needs at least 1000');
    expect(() => assertEnoughRows(ds, 3, 'members.csv', 'x')).not.toThrow();
  });
});
