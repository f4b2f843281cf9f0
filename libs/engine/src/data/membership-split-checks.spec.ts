import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';
import { assertDisjoint, assertEnoughRows } from './membership-split-checks';

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

describe('assertDisjoint', () => {
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

  it('accepts disjoint sets, including same features with another label', () => {
    const nonMembers = dataset(
      [
        [1, 2],
        [11, 12],
      ],
      [1, 0],
      ['n1', 'n2'],
    );
    expect(() => assertDisjoint(members, nonMembers)).not.toThrow();
    expect(() => assertDisjoint(members, nonMembers, { byId: true })).not.toThrow();
  });

  it('refuses identical records, giving the count and at most 3 row ids, never values', () => {
    const nonMembers = dataset(
      [
        [9, 10],
        [3, 4],
        [1, 2],
        [7, 8],
        [0, 0],
      ],
      [0, 1, 0, 1, 1],
    );
    const err = errorOf(() => assertDisjoint(members, nonMembers));
    expect(err.code).toBe(EngineErrorCode.MembersNonMembersOverlap);
    expect(err.message).toContain('4 member record(s)');
    expect(err.message).toContain('m1, m2, m4, ...');
    expect(err.message).not.toMatch(/\b10\b/);
  });

  it('refuses shared row ids only when ids are compared', () => {
    const nonMembers = dataset([[100, 200]], [1], ['m3']);
    expect(() => assertDisjoint(members, nonMembers)).not.toThrow();
    const err = errorOf(() => assertDisjoint(members, nonMembers, { byId: true }));
    expect(err.code).toBe(EngineErrorCode.MembersNonMembersOverlap);
    expect(err.message).toContain('1 member record(s)');
    expect(err.message).toContain('m3');
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
