// One adapter per serving protocol: where to POST, how a batch of rows becomes a request body, and where the
// per-row answers are in the reply. Adapters only shape JSON; answer-level checks (row and class counts, NaN,
// ranges) are shared (answer-rows.ts) so every protocol validates alike.

import type { OutputKind } from '../../../types';
import type { RemoteTargetSpec } from '../remote-target-spec';

/** What a batch's answer holds before validation: one entry per row (a vector of class scores, or a label). */
export type RawAnswerRows = unknown[];

export interface AdapterContext {
  readonly spec: RemoteTargetSpec;
  readonly nFeatures: number;
  readonly numClasses: number;
  /** The model's input column names (the CSV header's feature columns, or the preprocessing spec's inputs). */
  readonly featureNames: readonly string[];
}

export interface ProtocolAdapter {
  /** The URL every prediction request is POSTed to. */
  readonly url: URL;
  /** Rows per request the protocol allows (1 for a single-row JSON template). */
  readonly maxBatchSize: number;
  readonly defaultBatchSize: number;
  /** The request body for `nRows` rows of row-major features. */
  encode(features: Float32Array, nRows: number): unknown;
  /**
   * The answer's per-row entries, or a string saying what is wrong with its shape (the path or field missing,
   * not an array...): never a data value.
   */
  decode(answer: unknown, nRows: number): RawAnswerRows | string;
  readonly output: OutputKind;
}

/** Rows of a row-major matrix as plain number arrays (JSON-ready; float32 values as JS numbers). */
export function matrixRows(features: Float32Array, nRows: number, nFeatures: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < nRows; r++) rows.push(Array.from(features.subarray(r * nFeatures, (r + 1) * nFeatures)));
  return rows;
}

/** The base URL with `suffix` appended to its path, unless the path already ends with `alreadyEndsWith`. */
export function endpointUrl(base: string, suffix: string, alreadyEndsWith: RegExp): URL {
  const url = new URL(base);
  if (alreadyEndsWith.test(url.pathname)) return url;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
  return url;
}
