// Encodes one raw row (string cells) into model inputs through a preprocessing spec, with scikit-learn's
// conventions: SimpleImputer then StandardScaler for numeric columns (the impute value is in raw units and is
// scaled like any other value), OneHotEncoder for categorical ones, OrdinalEncoder then StandardScaler for
// ordinal ones. Errors name the file, line, row and column, never the cell: cells are personal data. Pure.

import { EngineError, EngineErrorCode } from '../errors';
import type { FeatureSpec, PreprocessingSpec } from './preprocessing-spec';

/** Where a row is, for error messages. */
export interface RowLocation {
  readonly file: string;
  readonly line: number;
  readonly row: number;
}

export interface RowEncoder {
  readonly width: number;
  /** The raw columns the encoder reads, in the order `encode` takes their cells. */
  readonly rawColumns: readonly string[];
  /** Encodes one row's cells (in rawColumns order) and pushes `width` finite float32 values to `out`. */
  encode(cells: readonly string[], at: RowLocation, out: (value: number) => void): void;
}

const NON_FINITE_TOKEN = /^[+-]?(nan|inf|infinity)$/i;
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function createRowEncoder(spec: PreprocessingSpec): RowEncoder {
  const missing = new Set(spec.missingValues);
  const cellIndex = new Map(spec.rawColumns.map((c, i) => [c, i]));
  const encoders = spec.features.map((f) => featureEncoder(f, missing, spec.name, cellIndex.get(f.column) as number));
  return {
    width: spec.width,
    rawColumns: spec.rawColumns,
    encode(cells, at, out) {
      for (const encode of encoders) encode(cells, at, out);
    },
  };
}

type FeatureEncoder = (cells: readonly string[], at: RowLocation, out: (value: number) => void) => void;

function featureEncoder(f: FeatureSpec, missing: ReadonlySet<string>, specName: string, cell: number): FeatureEncoder {
  const where = (at: RowLocation) => `${at.file} line ${at.line} (row ${at.row}), column '${f.column}'`;
  const fail = (code: EngineErrorCode, at: RowLocation, why: string): never => {
    throw new EngineError(code, `${where(at)}: ${why}`, {
      file: at.file,
      line: at.line,
      row: at.row,
      column: f.column,
    });
  };
  const refuseMissing = (at: RowLocation): never =>
    fail(
      EngineErrorCode.CsvMissingValue,
      at,
      `missing value, and preprocessing spec ${specName} gives this column no imputation or missing indicator`,
    );
  // Scaled value pushed to the model input; a finite double can still overflow float32.
  const push = (out: (value: number) => void, at: RowLocation, value: number): void => {
    if (!Number.isFinite(Math.fround(value))) {
      fail(EngineErrorCode.CsvNonFinite, at, 'value is beyond float32 range once scaled by the preprocessing spec');
    }
    out(value);
  };
  const indicatorScale = (indicator: unknown): ((isMissing: boolean) => number) => {
    if (typeof indicator === 'object' && indicator !== null) {
      const { mean, std } = indicator as { mean: number; std: number };
      return (isMissing) => ((isMissing ? 1 : 0) - mean) / std;
    }
    return (isMissing) => (isMissing ? 1 : 0);
  };

  switch (f.type) {
    case 'numeric':
    case 'ordinal': {
      const hasIndicator = f.missingIndicator !== undefined && f.missingIndicator !== false;
      const indicator = indicatorScale(f.missingIndicator);
      const levels = f.type === 'ordinal' ? new Map(f.levels.map((l, i) => [l, i])) : undefined;
      const raw = (text: string, at: RowLocation): number => {
        if (levels) {
          const index = levels.get(text);
          if (index === undefined) {
            fail(
              EngineErrorCode.CsvUnknownCategory,
              at,
              `value is not one of the ${levels.size} levels listed in preprocessing spec ${specName}`,
            );
          }
          return index as number;
        }
        if (NON_FINITE_TOKEN.test(text)) fail(EngineErrorCode.CsvNonFinite, at, 'value is NaN or infinite');
        if (!DECIMAL_NUMBER.test(text)) {
          fail(
            EngineErrorCode.CsvNotNumeric,
            at,
            `value is not a number, but preprocessing spec ${specName} declares the column numeric${missing.size === 1 && missing.has('') ? ' (if it marks missing values, list the marker in "missingValues")' : ''}`,
          );
        }
        const value = Number(text);
        if (!Number.isFinite(value)) fail(EngineErrorCode.CsvNonFinite, at, 'value is beyond the range of a number');
        return value;
      };
      return (cells, at, out) => {
        const text = cells[cell] as string;
        const isMissing = missing.has(text);
        if (isMissing && f.impute === undefined) refuseMissing(at);
        const value = isMissing ? (f.impute as number) : raw(text, at);
        push(out, at, (value - f.mean) / f.std);
        if (hasIndicator) out(indicator(isMissing));
      };
    }
    case 'categorical': {
      const index = new Map(f.categories.map((c, i) => [c, i]));
      const missingPolicy = f.missing ?? 'error';
      const unknownPolicy = f.unknown ?? 'error';
      const n = f.categories.length;
      return (cells, at, out) => {
        const text = cells[cell] as string;
        const isMissing = missing.has(text);
        let hot = -1;
        if (isMissing) {
          if (missingPolicy === 'error') refuseMissing(at);
          if (missingPolicy === 'indicator') hot = n;
        } else {
          hot = index.get(text) ?? -1;
          if (hot < 0 && unknownPolicy === 'error') {
            fail(
              EngineErrorCode.CsvUnknownCategory,
              at,
              `value is not one of the ${n} categories listed in preprocessing spec ${specName}`,
            );
          }
        }
        for (let i = 0; i < n; i++) out(i === hot ? 1 : 0);
        if (missingPolicy === 'indicator') out(hot === n ? 1 : 0);
      };
    }
    case 'missing-indicator': {
      const indicator = indicatorScale(
        f.mean !== undefined && f.std !== undefined ? { mean: f.mean, std: f.std } : true,
      );
      return (cells, _at, out) => out(indicator(missing.has(cells[cell] as string)));
    }
  }
}
