// A dataset restricted to some of its rows, in the given order: splits for demos, benchmarks and tests.

import type { LabeledDataset } from '../types';

/** Rows of `source` in the given order; row ids and group values follow their rows, the file hash stays. */
export function selectRows(source: LabeledDataset, rows: readonly number[]): LabeledDataset {
  const d = source.nFeatures;
  const features = new Float32Array(rows.length * d);
  rows.forEach((r, j) => features.set(source.features.subarray(r * d, (r + 1) * d), j * d));
  return {
    ...source,
    nRows: rows.length,
    features,
    labels: Int32Array.from(rows, (r) => source.labels[r] as number),
    rowIds: rows.map((r) => source.rowIds[r] as string),
    ...(source.groups ? { groups: rows.map((r) => source.groups?.[r] as string) } : {}),
  };
}
