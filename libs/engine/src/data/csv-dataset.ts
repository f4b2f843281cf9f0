// Loads the members / non-members / population CSV files of an audit into a LabeledDataset.
// Parsing is csv-parse's job; this file decides what a valid audit dataset is and says precisely
// (file, line, row, column) why a file is not one — never quoting a cell, since cells are personal data.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, CsvError } from 'csv-parse';
import { EngineError, EngineErrorCode } from '../errors';
import type { PreprocessingSpec } from '../preprocessing/preprocessing-spec';
import { createRowEncoder, type RowEncoder } from '../preprocessing/row-encoder';
import type { CsvSchemaOptions, LabeledDataset } from '../types';
import { didYouMean, RAW_TABLE_HINT } from './input-hints';

export interface LoadLabeledCsvOptions extends CsvSchemaOptions {
  /** Name used in error messages, e.g. "members.csv". Defaults to the path's base name or "data.csv". */
  fileLabel?: string;
  /** The model's number of classes: labels must lie in [0, numClasses). */
  numClasses?: number;
  /** The model's input width: refuse early when the feature columns do not match it. */
  expectedFeatureCount?: number;
}

export interface CsvColumnSummary {
  name: string;
  type: 'integer' | 'number' | 'string';
  /** Empty or NA cells. */
  missing: number;
  /** NaN / Infinity cells (or numbers beyond float32), when there are any: they do not make a column 'string'. */
  nonFinite?: number;
}

export interface CsvSchemaSummary {
  columns: CsvColumnSummary[];
  rows: number;
  sha256: string;
}

/** One physical record of the file; `line` is the 1-based file line where the record ends (header = line 1). */
interface CsvRecord {
  fields: string[];
  line: number;
}

/** A guard against a file with no line breaks or a quote that swallows the rest of the file. */
const MAX_RECORD_BYTES = 1 << 20;

const MISSING_TOKENS = new Set(['', 'NA', 'N/A', 'na', 'n/a', '#N/A', 'null', 'NULL', 'None']);
const NON_FINITE_TOKEN = /^[+-]?(nan|inf|infinity)$/i;
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type NumericCell =
  { kind: 'number'; value: number } | { kind: 'missing' } | { kind: 'non-finite' } | { kind: 'not-numeric' };

function classifyNumericCell(cell: string): NumericCell {
  if (MISSING_TOKENS.has(cell)) return { kind: 'missing' };
  if (NON_FINITE_TOKEN.test(cell)) return { kind: 'non-finite' };
  if (!DECIMAL_NUMBER.test(cell)) return { kind: 'not-numeric' };
  const value = Number(cell);
  // Finite as a double but beyond float32 range becomes Infinity in the model's input tensor.
  if (!Number.isFinite(value) || !Number.isFinite(Math.fround(value))) return { kind: 'non-finite' };
  return { kind: 'number', value };
}

function defaultFileLabel(source: string | Buffer): string {
  if (typeof source === 'string') {
    const parts = source.split(/[\\/]/);
    return parts[parts.length - 1] || source;
  }
  return 'data.csv';
}

/**
 * Streams the records of a CSV file (path or bytes) through csv-parse, hashing the bytes as they pass.
 * Records are handled inside csv-parse's on_record hook, so they are seen strictly in file order before
 * any later structural error, and none are buffered. csv-parse errors become EngineErrors with the file
 * line; its own messages are not forwarded because some of them quote the offending characters.
 */
async function streamCsv(
  source: string | Buffer,
  fileLabel: string,
  onRecord: (record: CsvRecord) => void,
): Promise<{ sha256: string }> {
  const hash = createHash('sha256');
  const input: Readable = typeof source === 'string' ? createReadStream(source) : Readable.from([source]);
  input.on('data', (chunk: Buffer) => hash.update(chunk));
  let lastLine = 0;
  let headerFields: number | undefined;
  const parser = parse({
    bom: true,
    delimiter: ',',
    trim: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    on_record: (record: string[], context: { lines: number }) => {
      headerFields ??= record.length;
      lastLine = context.lines;
      onRecord({ fields: record, line: context.lines });
      return null; // consumed here: nothing is queued downstream
    },
  });
  const sink = new Writable({ objectMode: true, write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(input, parser, sink);
  } catch (error) {
    throw toEngineError(error, fileLabel, lastLine, headerFields);
  }
  return { sha256: hash.digest('hex') };
}

function toEngineError(
  error: unknown,
  fileLabel: string,
  lastGoodLine: number,
  headerFields: number | undefined,
): unknown {
  if (error instanceof EngineError) return error;
  if (error instanceof CsvError) {
    const details = error as CsvError & { lines?: number; record?: unknown[]; quoting?: boolean };
    const line = details.lines ?? lastGoodLine + 1;
    const csvCode: string = error.code; // only a few codes matter; the rest are reported generically
    switch (csvCode) {
      case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
        const got = Array.isArray(details.record) ? details.record.length : undefined;
        return new EngineError(
          EngineErrorCode.CsvColumnCount,
          `${fileLabel} line ${line}: ${got ?? 'a different number of'} fields, header has ${headerFields ?? 'another number'}`,
          { file: fileLabel, line },
        );
      }
      case 'CSV_QUOTE_NOT_CLOSED': {
        const start = lastGoodLine + 1;
        return new EngineError(
          EngineErrorCode.CsvUnclosedQuote,
          `${fileLabel} line ${start}: a quote opened in the record starting on this line is never closed (the file ends inside a quoted field)`,
          { file: fileLabel, line: start },
        );
      }
      case 'CSV_MAX_RECORD_SIZE':
        if (details.quoting) {
          const start = lastGoodLine + 1;
          return new EngineError(
            EngineErrorCode.CsvUnclosedQuote,
            `${fileLabel} line ${start}: a quote opened in the record starting on this line is not closed within ${MAX_RECORD_BYTES} bytes`,
            { file: fileLabel, line: start },
          );
        }
        return new EngineError(
          EngineErrorCode.CsvMalformed,
          `${fileLabel} line ${line}: a record is longer than ${MAX_RECORD_BYTES} bytes (wrong line endings or not a CSV file?)`,
          { file: fileLabel, line },
        );
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
        return new EngineError(
          EngineErrorCode.CsvMalformed,
          `${fileLabel} line ${line}: a quoted field is followed by other characters before the next comma`,
          { file: fileLabel, line },
        );
      default:
        return new EngineError(
          EngineErrorCode.CsvMalformed,
          `${fileLabel} line ${line}: not valid CSV (${error.code})`,
          {
            file: fileLabel,
            line,
          },
        );
    }
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    return new EngineError(EngineErrorCode.InvalidOption, `${fileLabel}: cannot read the file (${code})`, {
      file: fileLabel,
    });
  }
  return error;
}

function validateHeader(fields: string[], fileLabel: string): void {
  const seen = new Map<string, number>();
  fields.forEach((name, index) => {
    if (name === '') {
      throw new EngineError(
        EngineErrorCode.CsvMalformed,
        `${fileLabel} line 1: column ${index + 1} has an empty header name (an index column written by pandas? use index=False)`,
        { file: fileLabel, line: 1 },
      );
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new EngineError(
        EngineErrorCode.CsvDuplicateHeader,
        `${fileLabel} line 1: header '${name}' appears twice (columns ${previous + 1} and ${index + 1})`,
        { file: fileLabel, line: 1, column: name },
      );
    }
    seen.set(name, index);
  });
}

interface ColumnPlan {
  featureIndex: number[];
  featureNames: string[];
  /** Model inputs per row: featureIndex.length, or the spec's width. */
  width: number;
  encoder?: RowEncoder;
  labelIndex: number;
  idIndex?: number;
  groupIndex?: number;
  /** The model's input width when the feature columns do not match it: refused at the first data row. */
  mismatchedFeatureCount?: number;
}

function planColumns(header: string[], options: LoadLabeledCsvOptions, fileLabel: string): ColumnPlan {
  const indexOf = (name: string, role: string): number => {
    const index = header.indexOf(name);
    if (index < 0) {
      throw new EngineError(
        EngineErrorCode.CsvMissingColumn,
        `${fileLabel}: ${role} column '${name}' is not in the header (${header.length} columns)${didYouMean(name, header)}`,
        { file: fileLabel, line: 1, column: name },
      );
    }
    return index;
  };
  const labelIndex = indexOf(options.labelColumn, 'label');
  const idIndex = options.idColumn !== undefined ? indexOf(options.idColumn, 'id') : undefined;
  const groupIndex = options.groupColumn !== undefined ? indexOf(options.groupColumn, 'group') : undefined;
  const reserved = new Set([labelIndex, idIndex, groupIndex].filter((i): i is number => i !== undefined));
  if (options.preprocessing)
    return planEncodedColumns(options.preprocessing, { indexOf, labelIndex, idIndex, groupIndex }, options, fileLabel);

  let featureIndex: number[];
  if (options.featureColumns !== undefined) {
    featureIndex = options.featureColumns.map((name) => {
      const index = indexOf(name, 'feature');
      if (reserved.has(index)) {
        throw new EngineError(
          EngineErrorCode.InvalidOption,
          `${fileLabel}: column '${name}' is declared both as a feature and as the label, id or group column`,
          { file: fileLabel, column: name },
        );
      }
      return index;
    });
  } else {
    featureIndex = header.map((_, i) => i).filter((i) => !reserved.has(i));
  }
  if (featureIndex.length === 0) {
    throw new EngineError(
      EngineErrorCode.CsvMissingColumn,
      `${fileLabel}: no feature columns besides the label, id and group columns`,
      {
        file: fileLabel,
      },
    );
  }
  const mismatch =
    options.expectedFeatureCount !== undefined && featureIndex.length !== options.expectedFeatureCount
      ? { mismatchedFeatureCount: options.expectedFeatureCount }
      : {};
  return {
    featureIndex,
    featureNames: featureIndex.map((i) => header[i] as string),
    labelIndex,
    idIndex,
    width: featureIndex.length,
    groupIndex,
    ...mismatch,
  };
}

/**
 * The model takes another number of features than the file has. Deferred from the header to the first data
 * row, so the message can tell a raw table (fewer columns than the model's one-hot-encoded input, or string
 * or empty cells in the first row's feature columns) and point at the preprocessing spec.
 */
function featureCountMismatch(
  expected: number,
  plan: ColumnPlan,
  fileLabel: string,
  firstRow?: readonly string[],
): EngineError {
  const actual = plan.featureIndex.length;
  const rawCells =
    firstRow !== undefined &&
    plan.featureIndex.some((i) => classifyNumericCell(firstRow[i] as string).kind !== 'number');
  const hint = actual < expected || rawCells ? `; ${RAW_TABLE_HINT}` : '';
  return new EngineError(
    EngineErrorCode.ModelShapeMismatch,
    `model expects ${expected} features, ${fileLabel} has ${actual} feature columns${hint}`,
    { file: fileLabel },
  );
}

/** A raw table's columns: the spec's raw columns feed its encoder; the label and id must not be among them. */
function planEncodedColumns(
  spec: PreprocessingSpec,
  roles: { indexOf: (name: string, role: string) => number; labelIndex: number; idIndex?: number; groupIndex?: number },
  options: LoadLabeledCsvOptions,
  fileLabel: string,
): ColumnPlan {
  const encoder = createRowEncoder(spec);
  const featureIndex = encoder.rawColumns.map((name) => {
    const index = roles.indexOf(name, `feature (preprocessing spec ${spec.name})`);
    if (index === roles.labelIndex || index === roles.idIndex) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${fileLabel}: column '${name}' is a feature of preprocessing spec ${spec.name} and also the label or id column`,
        { file: fileLabel, column: name },
      );
    }
    return index;
  });
  if (options.expectedFeatureCount !== undefined && encoder.width !== options.expectedFeatureCount) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `model expects ${options.expectedFeatureCount} features, preprocessing spec ${spec.name} encodes ${encoder.width}`,
      { file: spec.name },
    );
  }
  return {
    featureIndex,
    featureNames: [...spec.inputNames],
    width: encoder.width,
    encoder,
    labelIndex: roles.labelIndex,
    ...(roles.idIndex !== undefined ? { idIndex: roles.idIndex } : {}),
    ...(roles.groupIndex !== undefined ? { groupIndex: roles.groupIndex } : {}),
  };
}

/** Growable float32 buffer: the row count is unknown until the stream ends. */
class FloatColumnBuffer {
  private data = new Float32Array(1024);
  private length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  toArray(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

function resolveClassCount(options: LoadLabeledCsvOptions, fileLabel: string): number | undefined {
  const { classes, numClasses } = options;
  if (classes !== undefined) {
    if (new Set(classes).size !== classes.length) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${fileLabel}: the declared classes contain a duplicate name`,
        { file: fileLabel },
      );
    }
    if (numClasses !== undefined && classes.length !== numClasses) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${classes.length} class names declared but the model has ${numClasses} classes`,
        { file: fileLabel },
      );
    }
    return classes.length;
  }
  return numClasses;
}

/**
 * Loads a labelled CSV into row-major float32 features and integer labels, refusing anything that would
 * need a guess: missing values, non-numeric features, NaN/Infinity, labels outside the model's classes.
 */
export async function loadLabeledCsv(source: string | Buffer, options: LoadLabeledCsvOptions): Promise<LabeledDataset> {
  const fileLabel = options.fileLabel ?? defaultFileLabel(source);
  const numClasses = resolveClassCount(options, fileLabel);
  const classIndex = options.classes ? new Map(options.classes.map((name, i) => [name, i])) : undefined;
  const location = (line: number, row: number, column: string) => ({ file: fileLabel, line, row, column });
  const where = (line: number, row: number, column: string) =>
    `${fileLabel} line ${line} (row ${row}), column '${column}'`;

  let plan: ColumnPlan | undefined;
  const features = new FloatColumnBuffer();
  const labels: number[] = [];
  const rowIds: string[] = [];
  const groups: string[] = [];
  const rowOfId = new Map<string, number>();
  let nRows = 0;

  const parseLabel = (cell: string, line: number, row: number, column: string): number => {
    if (MISSING_TOKENS.has(cell)) {
      throw new EngineError(
        EngineErrorCode.CsvMissingValue,
        `${where(line, row, column)}: the label is missing`,
        location(line, row, column),
      );
    }
    if (classIndex) {
      const index = classIndex.get(cell);
      if (index === undefined) {
        throw new EngineError(
          EngineErrorCode.LabelOutOfRange,
          `${where(line, row, column)}: label is not one of the ${classIndex.size} declared classes`,
          location(line, row, column),
        );
      }
      return index;
    }
    const parsed = classifyNumericCell(cell);
    if (parsed.kind !== 'number') {
      throw new EngineError(
        EngineErrorCode.CsvNotNumeric,
        `${where(line, row, column)}: label is not a class index; for string labels declare the class names in model output order with --classes`,
        location(line, row, column),
      );
    }
    const value = parsed.value;
    if (!Number.isInteger(value) || value < 0 || (numClasses !== undefined && value >= numClasses)) {
      const range = numClasses !== undefined ? `an integer in [0, ${numClasses - 1}]` : 'a non-negative integer';
      throw new EngineError(
        EngineErrorCode.LabelOutOfRange,
        `${where(line, row, column)}: label is not ${range} (the model's classes)`,
        location(line, row, column),
      );
    }
    return value;
  };

  const { sha256 } = await streamCsv(source, fileLabel, ({ fields, line }) => {
    if (!plan) {
      validateHeader(fields, fileLabel);
      plan = planColumns(fields, options, fileLabel);
      return;
    }
    if (plan.mismatchedFeatureCount !== undefined) {
      throw featureCountMismatch(plan.mismatchedFeatureCount, plan, fileLabel, fields);
    }
    const row = nRows + 1;
    if (options.maxRows !== undefined && row > options.maxRows) {
      throw new EngineError(
        EngineErrorCode.CsvTooLarge,
        `${fileLabel}: more than ${options.maxRows} data rows (the configured maximum)`,
        {
          file: fileLabel,
          line,
        },
      );
    }
    const { encoder } = plan;
    if (encoder) {
      const cells = plan.featureIndex.map((i) => fields[i] as string);
      encoder.encode(cells, { file: fileLabel, line, row }, (value) => features.push(value));
    }
    // Without a spec every feature column is already a model input.
    for (let f = 0; !encoder && f < plan.featureIndex.length; f++) {
      const column = plan.featureNames[f] as string;
      const cell = classifyNumericCell(fields[plan.featureIndex[f] as number] as string);
      switch (cell.kind) {
        case 'number':
          features.push(cell.value);
          break;
        case 'missing':
          throw new EngineError(
            EngineErrorCode.CsvMissingValue,
            `${where(line, row, column)}: missing value; privaudit does not impute silently: remove or fill the row, or give the model's preprocessing spec (--preprocessing)`,
            location(line, row, column),
          );
        case 'non-finite':
          throw new EngineError(
            EngineErrorCode.CsvNonFinite,
            `${where(line, row, column)}: value is NaN or infinite (or beyond float32 range); the model input must be finite`,
            location(line, row, column),
          );
        case 'not-numeric':
          throw new EngineError(
            EngineErrorCode.CsvNotNumeric,
            `${where(line, row, column)}: value is not a number; feature columns must already be numeric as the model expects, or be encoded by the model's preprocessing spec (--preprocessing); categorical encoding is not guessed`,
            location(line, row, column),
          );
      }
    }
    labels.push(parseLabel(fields[plan.labelIndex] as string, line, row, options.labelColumn));
    if (plan.idIndex !== undefined) {
      const column = options.idColumn as string;
      const id = fields[plan.idIndex] as string;
      if (id === '') {
        throw new EngineError(
          EngineErrorCode.CsvMissingValue,
          `${where(line, row, column)}: the row id is empty`,
          location(line, row, column),
        );
      }
      const firstRow = rowOfId.get(id);
      if (firstRow !== undefined) {
        throw new EngineError(
          EngineErrorCode.CsvDuplicateId,
          `${where(line, row, column)}: the same id as row ${firstRow}; row ids must be unique`,
          location(line, row, column),
        );
      }
      rowOfId.set(id, row);
      rowIds.push(id);
    } else {
      rowIds.push(String(row));
    }
    if (plan.groupIndex !== undefined) groups.push(fields[plan.groupIndex] as string);
    nRows = row;
  });

  if (!plan) {
    throw new EngineError(EngineErrorCode.CsvEmpty, `${fileLabel}: the file is empty (no header row)`, {
      file: fileLabel,
    });
  }
  if (plan.mismatchedFeatureCount !== undefined) {
    throw featureCountMismatch(plan.mismatchedFeatureCount, plan, fileLabel);
  }
  if (nRows === 0) {
    throw new EngineError(EngineErrorCode.CsvEmpty, `${fileLabel}: the file has a header but no data rows`, {
      file: fileLabel,
    });
  }
  return {
    featureNames: plan.featureNames,
    nRows,
    nFeatures: plan.width,
    features: features.toArray(),
    labels: Int32Array.from(labels),
    rowIds,
    sha256,
    ...(plan.groupIndex !== undefined ? { groups } : {}),
  };
}

/**
 * Structural validation and column types of an uploaded CSV, without a label declaration.
 * Column types: 'integer' / 'number' when every present cell is a number, else 'string'. NaN/Infinity cells
 * are counted (`nonFinite`) without making a column 'string': it is a numeric column the loader will refuse
 * with their row and column, not a raw table's text column.
 */
export async function inferCsvSchema(
  source: string | Buffer,
  opts: { fileLabel?: string; maxRows?: number } = {},
): Promise<CsvSchemaSummary> {
  const fileLabel = opts.fileLabel ?? defaultFileLabel(source);
  let header: string[] | undefined;
  let columns: Array<{ name: string; numeric: boolean; integral: boolean; missing: number; nonFinite: number }> = [];
  let rows = 0;

  const { sha256 } = await streamCsv(source, fileLabel, ({ fields, line }) => {
    if (!header) {
      validateHeader(fields, fileLabel);
      header = fields;
      columns = fields.map((name) => ({ name, numeric: true, integral: true, missing: 0, nonFinite: 0 }));
      return;
    }
    rows++;
    if (opts.maxRows !== undefined && rows > opts.maxRows) {
      throw new EngineError(
        EngineErrorCode.CsvTooLarge,
        `${fileLabel}: more than ${opts.maxRows} data rows (the configured maximum)`,
        {
          file: fileLabel,
          line,
        },
      );
    }
    fields.forEach((cell, i) => {
      const column = columns[i];
      if (!column) return;
      const parsed = classifyNumericCell(cell);
      if (parsed.kind === 'missing') column.missing++;
      else if (parsed.kind === 'number') column.integral &&= Number.isInteger(parsed.value);
      else if (parsed.kind === 'non-finite') column.nonFinite++;
      else column.numeric = false;
    });
  });

  if (!header)
    throw new EngineError(EngineErrorCode.CsvEmpty, `${fileLabel}: the file is empty (no header row)`, {
      file: fileLabel,
    });
  if (rows === 0)
    throw new EngineError(EngineErrorCode.CsvEmpty, `${fileLabel}: the file has a header but no data rows`, {
      file: fileLabel,
    });
  return {
    columns: columns.map((c) => ({
      name: c.name,
      type: !c.numeric || c.missing === rows ? 'string' : c.integral ? 'integer' : 'number',
      missing: c.missing,
      ...(c.nonFinite > 0 ? { nonFinite: c.nonFinite } : {}),
    })),
    rows,
    sha256,
  };
}
