import type { LabeledDataset } from '../types';
import { selectRows } from './select-rows';

const ds: LabeledDataset = {
  featureNames: ['a', 'b'],
  nRows: 3,
  nFeatures: 2,
  features: Float32Array.from([1, 2, 3, 4, 5, 6]),
  labels: Int32Array.from([0, 1, 2]),
  rowIds: ['r1', 'r2', 'r3'],
  sha256: 'abc',
  groups: ['x', 'y', 'z'],
};

describe('selectRows', () => {
  it('keeps the chosen rows in the given order, with their ids, labels and groups', () => {
    const out = selectRows(ds, [2, 0]);
    expect(out.nRows).toBe(2);
    expect(Array.from(out.features)).toEqual([5, 6, 1, 2]);
    expect(Array.from(out.labels)).toEqual([2, 0]);
    expect(out.rowIds).toEqual(['r3', 'r1']);
    expect(out.groups).toEqual(['z', 'x']);
    expect(out.sha256).toBe('abc');
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
