// The preprocessing spec: how a raw table (string categories, empty cells, unscaled numbers) becomes the
// model's numeric input. The user states it, with the parameters their fitted scikit-learn transformers
// learned (docs/preprocessing.md maps a ColumnTransformer to it); privaudit never guesses an encoding.
// This file parses and validates the JSON with zod and computes the width and names of the model inputs.
// Pure: the caller reads the bytes.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EngineError, EngineErrorCode } from '../errors';

const columnName = z.string().min(1, 'a column name must not be empty');
/** zod's number() already refuses NaN and ±Infinity; JSON cannot hold them anyway. */
const finite = z.number();
const scale = z.number().positive('must be > 0 (scikit-learn writes 1 for a constant column)');
const names = (what: string, plural: string) =>
  z
    .array(z.string())
    .min(1, `at least one ${what}`)
    .refine((list) => new Set(list).size === list.length, `the ${plural} must be distinct`);

/** A 0/1 missing-value indicator, optionally standardised (when a StandardScaler followed SimpleImputer(add_indicator=True)). */
const indicatorScaling = z.strictObject({ mean: finite, std: scale });
const missingIndicator = z.union([z.boolean(), indicatorScaling]);

const numericFeature = z.strictObject({
  column: columnName,
  type: z.literal('numeric'),
  mean: finite,
  std: scale,
  /** SimpleImputer.statistics_: the raw-unit value an empty cell takes before scaling. Absent: a missing value is an error. */
  impute: finite.optional(),
  missingIndicator: missingIndicator.optional(),
  missing: z.literal('error').optional(),
});

const categoricalFeature = z.strictObject({
  column: columnName,
  type: z.literal('categorical'),
  /** OneHotEncoder.categories_ for this column, in order: one 0/1 input each. */
  categories: names('category', 'categories'),
  /** 'indicator': one more 0/1 input for a missing cell; 'ignore': all zeros; 'error' (default): refuse the row. */
  missing: z.enum(['indicator', 'error', 'ignore']).optional(),
  /** 'ignore' = OneHotEncoder(handle_unknown='ignore'): all zeros; 'error' (default): refuse the row. */
  unknown: z.enum(['error', 'ignore']).optional(),
});

const ordinalFeature = z.strictObject({
  column: columnName,
  type: z.literal('ordinal'),
  /** OrdinalEncoder categories in order: level i encodes as (i - mean) / std. */
  levels: names('level', 'levels'),
  mean: finite,
  std: scale,
  /** A level index (may be fractional) an empty cell takes before scaling. Absent: a missing value is an error. */
  impute: finite.optional(),
  missingIndicator: missingIndicator.optional(),
  missing: z.literal('error').optional(),
});

/** A standalone missing indicator, for ColumnTransformers that put all indicators after all imputed columns. */
const missingIndicatorFeature = z.strictObject({
  column: columnName,
  type: z.literal('missing-indicator'),
  mean: finite.optional(),
  std: scale.optional(),
});

const featureSpec = z.discriminatedUnion('type', [
  numericFeature,
  categoricalFeature,
  ordinalFeature,
  missingIndicatorFeature,
]);

const preprocessingSpecSchema = z.strictObject({
  label: z.strictObject({
    column: columnName,
    classes: names('class name', 'class names').optional(),
  }),
  /** Cell texts (after trimming) that mean "missing". Default: only the empty cell. */
  missingValues: z.array(z.string()).optional(),
  features: z.array(featureSpec).min(1, 'at least one feature'),
});

export type PreprocessingSpecJson = z.infer<typeof preprocessingSpecSchema>;
export type FeatureSpec = z.infer<typeof featureSpec>;

/** A validated spec with what the audit needs to know about it. */
export interface PreprocessingSpec {
  /** Shown in messages, e.g. "penguins.preprocessing.json". */
  readonly name: string;
  /** sha256 (hex) of the spec's bytes, recorded in the report. */
  readonly sha256: string;
  readonly label: { readonly column: string; readonly classes?: readonly string[] };
  readonly missingValues: readonly string[];
  readonly features: readonly FeatureSpec[];
  /** The raw columns the features read, each once, in first-use order. */
  readonly rawColumns: readonly string[];
  /** Names of the model inputs, in order: `AGE`, `AGE_missing`, `SEX=M`, ... */
  readonly inputNames: readonly string[];
  /** Number of model inputs the spec produces. */
  readonly width: number;
}

export const DEFAULT_MISSING_VALUES: readonly string[] = [''];

/** The model input names one feature produces, in order. */
export function featureInputNames(f: FeatureSpec): string[] {
  const withIndicator = (base: string[], indicator: unknown): string[] =>
    indicator !== undefined && indicator !== false ? [...base, `${f.column}_missing`] : base;
  switch (f.type) {
    case 'numeric':
    case 'ordinal':
      return withIndicator([f.column], f.missingIndicator);
    case 'categorical':
      return [
        ...f.categories.map((c) => `${f.column}=${c}`),
        ...(f.missing === 'indicator' ? [`${f.column}_missing`] : []),
      ];
    case 'missing-indicator':
      return [`${f.column}_missing`];
  }
}

/**
 * Parses and validates a spec. Errors are one line naming the spec and the JSON path of the problem. The
 * spec holds no personal data (its categories are the model's), so a path's offending entry may be named.
 */
export function parsePreprocessingSpec(bytes: Uint8Array | string, name: string): PreprocessingSpec {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw invalid(name, 'not valid JSON');
  }
  const parsed = preprocessingSpecSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? formatPath(issue.path) : '';
    throw invalid(name, `${path !== '' ? `${path}: ` : ''}${issue?.message ?? 'invalid'}`);
  }
  const spec = parsed.data;
  const missingValues = spec.missingValues ?? DEFAULT_MISSING_VALUES;
  checkConsistency(spec, missingValues, name);
  const inputNames = spec.features.flatMap(featureInputNames);
  const rawColumns = [...new Set(spec.features.map((f) => f.column))];
  return {
    name,
    sha256,
    label: spec.label,
    missingValues,
    features: spec.features,
    rawColumns,
    inputNames,
    width: inputNames.length,
  };
}

/** Refuses a spec whose width is not the model's input width, naming the spec and both widths. */
export function assertSpecFitsModel(spec: PreprocessingSpec, modelInputs: number, modelLabel = 'the model'): void {
  if (spec.width !== modelInputs) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `preprocessing spec ${spec.name} encodes ${spec.width} model inputs (${spec.rawColumns.length} raw columns), but ${modelLabel} expects ${modelInputs}`,
      { file: spec.name },
    );
  }
}

function checkConsistency(spec: PreprocessingSpecJson, missingValues: readonly string[], name: string): void {
  const missing = new Set(missingValues);
  const encoded = new Map<string, number>();
  const indicated = new Set<string>();
  spec.features.forEach((f, i) => {
    const at = `features[${i}] (column '${f.column}')`;
    if (f.column === spec.label.column) throw invalid(name, `${at}: the label column cannot be a feature`);
    if (f.type === 'missing-indicator') {
      if ((f.mean === undefined) !== (f.std === undefined))
        throw invalid(name, `${at}: give both mean and std, or neither`);
      if (indicated.has(f.column)) throw invalid(name, `${at}: a second missing indicator for the column`);
      indicated.add(f.column);
      return;
    }
    const first = encoded.get(f.column);
    if (first !== undefined) throw invalid(name, `${at}: the column is already encoded by features[${first}]`);
    encoded.set(f.column, i);
    if (f.type === 'numeric' || f.type === 'ordinal') {
      if (f.impute !== undefined && f.missing === 'error') {
        throw invalid(name, `${at}: 'impute' and "missing": "error" contradict each other`);
      }
      if (f.missingIndicator !== undefined && f.missingIndicator !== false) {
        if (f.impute === undefined) throw invalid(name, `${at}: missingIndicator needs an 'impute' value`);
        if (indicated.has(f.column)) throw invalid(name, `${at}: a second missing indicator for the column`);
        indicated.add(f.column);
      }
    }
    const values = f.type === 'categorical' ? f.categories : f.type === 'ordinal' ? f.levels : [];
    const clash = values.findIndex((v) => missing.has(v));
    if (clash >= 0) {
      throw invalid(
        name,
        `${at}: ${f.type === 'categorical' ? 'category' : 'level'} ${clash + 1} is also listed in missingValues`,
      );
    }
  });
  // A standalone indicator only says something when its column can be missing and is not refused for it.
  for (const column of indicated) {
    const i = encoded.get(column);
    if (i === undefined) continue; // indicator-only column: allowed (a column the model sees only as "was it given")
    const f = spec.features[i] as FeatureSpec;
    const refusesMissing =
      f.type === 'categorical'
        ? (f.missing ?? 'error') === 'error'
        : f.type !== 'missing-indicator' && f.impute === undefined;
    if (refusesMissing) {
      throw invalid(name, `features[${i}] (column '${column}'): has a missing indicator but refuses missing values`);
    }
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s === '' ? String(p) : `${s}.${String(p)}`),
    '',
  );
}

function invalid(name: string, why: string): EngineError {
  return new EngineError(EngineErrorCode.PreprocessingSpecInvalid, `preprocessing spec ${name}: ${why}`, {
    file: name,
  });
}
