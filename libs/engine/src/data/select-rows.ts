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

/**
 * Rows of several datasets of one width (that of the first one holding rows), one after the other; row ids
 * follow, groups are dropped.
 */
export function concatRows(parts: readonly LabeledDataset[]): LabeledDataset {
  const first = parts.find((p) => p.nRows > 0) ?? parts[0];
  if (!first) throw new Error('concatRows needs at least one dataset');
  const d = first.nFeatures;
  const nRows = parts.reduce((s, p) => s + p.nRows, 0);
  const features = new Float32Array(nRows * d);
  const labels = new Int32Array(nRows);
  let offset = 0;
  for (const p of parts) {
    features.set(p.features.subarray(0, p.nRows * d), offset * d);
    labels.set(p.labels.subarray(0, p.nRows), offset);
    offset += p.nRows;
  }
  const { groups: _dropped, ...rest } = first;
  return { ...rest, nRows, features, labels, rowIds: parts.flatMap((p) => p.rowIds) };
}
