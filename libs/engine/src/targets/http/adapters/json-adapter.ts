// A generic JSON endpoint: the request is the spec's template with its one "$rows" string replaced by the batch
// (an array of rows of numbers) or its "$row" string by one row (one request per row); the answer's entries are
// read at the spec's dot path ("predictions", "outputs.0.data", "result.scores"; array indices as numbers).

import { JSON_ROW_PLACEHOLDER, JSON_ROWS_PLACEHOLDER } from '../remote-target-spec';
import { type AdapterContext, matrixRows, type ProtocolAdapter, type RawAnswerRows } from './protocol-adapter';

function substitute(template: unknown, rows: unknown): unknown {
  if (template === JSON_ROWS_PLACEHOLDER || template === JSON_ROW_PLACEHOLDER) return rows;
  if (Array.isArray(template)) return template.map((v) => substitute(v, rows));
  if (template !== null && typeof template === 'object')
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, substitute(v, rows)]));
  return template;
}

function holdsSingleRow(template: unknown): boolean {
  if (template === JSON_ROW_PLACEHOLDER) return true;
  if (Array.isArray(template)) return template.some(holdsSingleRow);
  if (template !== null && typeof template === 'object') return Object.values(template).some(holdsSingleRow);
  return false;
}

/** The value at a dot path, or undefined (with the first segment that was missing). */
export function readPath(value: unknown, path: string): { value?: unknown; missing?: string } {
  let current = value;
  if (path.trim() === '') return { value: current };
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return { missing: segment };
    const next = (current as Record<string, unknown>)[segment];
    if (next === undefined) return { missing: segment };
    current = next;
  }
  return { value: current };
}

export function jsonAdapter(ctx: AdapterContext): ProtocolAdapter {
  const { spec, nFeatures } = ctx;
  const options = spec.json ?? { requestTemplate: JSON_ROWS_PLACEHOLDER, responsePath: '' };
  const single = holdsSingleRow(options.requestTemplate);
  return {
    url: new URL(spec.url),
    maxBatchSize: single ? 1 : Number.MAX_SAFE_INTEGER,
    defaultBatchSize: single ? 1 : 64,
    output: spec.output,
    encode(features, nRows) {
      const rows = matrixRows(features, nRows, nFeatures);
      return substitute(options.requestTemplate, single ? rows[0] : rows);
    },
    decode(answer, nRows): RawAnswerRows | string {
      const { value, missing } = readPath(answer, options.responsePath);
      if (missing !== undefined) return `response path '${options.responsePath}' has no '${missing}'`;
      if (single && nRows === 1) {
        // One row's entry: a class-score vector, or a label.
        return [value];
      }
      if (!Array.isArray(value)) return `response path '${options.responsePath}' is not an array`;
      return value;
    },
  };
}
