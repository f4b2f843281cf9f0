// The sensitive column of an attribute-inference audit: where it sits among the model's inputs, its candidate
// values, and each candidate's encoding. With a preprocessing spec the column is a raw column and a candidate is
// encoded through the spec's own row encoder (a categorical column becomes its one-hot block, plus its missing
// indicators); without one it is a model input of a numeric CSV and a candidate is the value itself. A record's
// true value is read back from its encoded inputs: the candidate whose encoding they match. Errors name the
// column, never a value.

import { didYouMean } from '../data/input-hints';
import { EngineError, EngineErrorCode } from '../errors';
import { featureInputNames, type PreprocessingSpec } from '../preprocessing/preprocessing-spec';
import { createRowEncoder } from '../preprocessing/row-encoder';
import type { LabeledDataset } from '../types';

/** More distinct values than this in a column without a spec reads as continuous: bin it first. */
export const MAX_SENSITIVE_CANDIDATES = 20;
const MATCH_TOLERANCE = 1e-5;

export interface SensitiveAttribute {
  readonly column: string;
  /** Model input positions the column occupies, in order. */
  readonly positions: readonly number[];
  /** Candidate values (category names; numbers as text without a spec), in candidate order. */
  readonly candidates: readonly string[];
  /** encodings[c][j]: the value candidate c puts at positions[j]. */
  readonly encodings: readonly Float32Array[];
  /** The candidate a row's inputs encode, or -1 (missing, or not a candidate). */
  valueOf(dataset: LabeledDataset, row: number): number;
  /** Writes candidate c's encoding into one row of row-major inputs of width nFeatures. */
  writeCandidate(target: Float32Array, rowOffset: number, c: number): void;
}

export function resolveSensitiveAttribute(
  column: string,
  nFeatures: number,
  datasets: readonly LabeledDataset[],
  spec?: PreprocessingSpec,
): SensitiveAttribute {
  const located = spec ? fromSpec(column, spec) : fromInputs(column, datasets);
  const { positions, candidates, encodings } = located;
  if (candidates.length < 2) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `sensitive column '${column}' has a single value${spec ? ` in preprocessing spec ${spec.name}` : ' in the data'}: there is nothing to infer`,
      { column },
    );
  }
  if (positions.some((p) => p >= nFeatures)) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `sensitive column '${column}' lies beyond the model's inputs`,
      {
        column,
      },
    );
  }
  return {
    column,
    positions,
    candidates,
    encodings,
    valueOf(dataset, row) {
      const base = row * dataset.nFeatures;
      for (let c = 0; c < encodings.length; c++) {
        const enc = encodings[c] as Float32Array;
        let same = true;
        for (let j = 0; j < positions.length && same; j++) {
          same =
            Math.abs((dataset.features[base + (positions[j] as number)] as number) - (enc[j] as number)) <=
            MATCH_TOLERANCE;
        }
        if (same) return c;
      }
      return -1;
    },
    writeCandidate(target, rowOffset, c) {
      const enc = encodings[c] as Float32Array;
      for (let j = 0; j < positions.length; j++) target[rowOffset + (positions[j] as number)] = enc[j] as number;
    },
  };
}

interface LocatedColumn {
  positions: number[];
  candidates: string[];
  encodings: Float32Array[];
}

function fromSpec(column: string, spec: PreprocessingSpec): LocatedColumn {
  const positions: number[] = [];
  let offset = 0;
  for (const f of spec.features) {
    const width = featureInputNames(f).length;
    if (f.column === column) for (let j = 0; j < width; j++) positions.push(offset + j);
    offset += width;
  }
  if (positions.length === 0) {
    throw new EngineError(
      EngineErrorCode.CsvMissingColumn,
      `sensitive column '${column}' is not a column of preprocessing spec ${spec.name}${didYouMean(column, spec.rawColumns)}`,
      { file: spec.name, column },
    );
  }
  const valueFeature = spec.features.find((f) => f.column === column && f.type !== 'missing-indicator');
  let candidates: readonly string[];
  switch (valueFeature?.type) {
    case 'categorical':
      candidates = valueFeature.categories;
      break;
    case 'ordinal':
      candidates = valueFeature.levels;
      break;
    case 'numeric':
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `sensitive column '${column}' is numeric (continuous) in preprocessing spec ${spec.name}, and no binning rule applies: declare a categorical or ordinal column`,
        { file: spec.name, column },
      );
    case 'missing-indicator':
    case undefined:
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `sensitive column '${column}' reaches the model only as a missing-value indicator in preprocessing spec ${spec.name}: there is no value to infer`,
        { file: spec.name, column },
      );
  }
  // Each candidate through the spec's own encoder, restricted to the features that read this column.
  const encoder = createRowEncoder({
    ...spec,
    features: spec.features.filter((f) => f.column === column),
    rawColumns: [column],
    width: positions.length,
  });
  const encodings = candidates.map((candidate) => {
    const values: number[] = [];
    encoder.encode([candidate], { file: spec.name, line: 0, row: 0 }, (v) => values.push(v));
    return Float32Array.from(values);
  });
  return { positions, candidates: [...candidates], encodings };
}

function fromInputs(column: string, datasets: readonly LabeledDataset[]): LocatedColumn {
  const names = datasets[0]?.featureNames ?? [];
  const position = names.indexOf(column);
  if (position < 0) {
    throw new EngineError(
      EngineErrorCode.CsvMissingColumn,
      `sensitive column '${column}' is not a model input column${didYouMean(column, names)}; for a raw table, give the preprocessing spec (--preprocessing)`,
      { column },
    );
  }
  const distinct = new Set<number>();
  for (const ds of datasets) {
    for (let r = 0; r < ds.nRows; r++) {
      distinct.add(ds.features[r * ds.nFeatures + position] as number);
      if (distinct.size > MAX_SENSITIVE_CANDIDATES) {
        throw new EngineError(
          EngineErrorCode.InvalidOption,
          `sensitive column '${column}' looks continuous (more than ${MAX_SENSITIVE_CANDIDATES} distinct values) and no binning rule applies: declare a categorical column, or bin it first`,
          { column },
        );
      }
    }
  }
  const values = [...distinct].sort((a, b) => a - b);
  return {
    positions: [position],
    candidates: values.map((v) => String(v)),
    encodings: values.map((v) => Float32Array.of(v)),
  };
}
