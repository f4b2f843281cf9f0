import { createHash } from 'node:crypto';
import { EngineError, EngineErrorCode } from '../errors';
import { assertSpecFitsModel, parsePreprocessingSpec } from './preprocessing-spec';
import { createRowEncoder, type RowLocation } from './row-encoder';

/** The example of issue 6, with a missing-value marker list. */
const ISSUE_SPEC = {
  label: { column: 'INCOME', classes: ['-10.000)', '[10.000-15.000)'] },
  missingValues: ['', 'NA'],
  features: [
    { column: 'AGE', type: 'numeric', mean: 38.2, std: 12.9, impute: 38.2, missingIndicator: true },
    { column: 'SEX', type: 'categorical', categories: ['M', 'F'], missing: 'indicator' },
    { column: 'EDUCATION', type: 'ordinal', levels: ['low', 'mid', 'high'], mean: 1.1, std: 0.7, missing: 'error' },
  ],
};

const parse = (spec: unknown, name = 'spec.json') => parsePreprocessingSpec(JSON.stringify(spec), name);
const AT: RowLocation = { file: 'members.csv', line: 7, row: 6 };

function encode(spec: unknown, cells: string[]): number[] {
  const out: number[] = [];
  createRowEncoder(parse(spec)).encode(cells, AT, (v) => out.push(v));
  return out;
}

function errorOf(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('expected an EngineError');
}

describe('parsePreprocessingSpec', () => {
  it('parses the issue example: width, input names in spec order, raw columns, sha256 of the bytes', () => {
    const text = JSON.stringify(ISSUE_SPEC);
    const spec = parsePreprocessingSpec(Buffer.from(text), 'income.json');
    expect(spec.width).toBe(2 + 3 + 1);
    expect(spec.inputNames).toEqual(['AGE', 'AGE_missing', 'SEX=M', 'SEX=F', 'SEX_missing', 'EDUCATION']);
    expect(spec.rawColumns).toEqual(['AGE', 'SEX', 'EDUCATION']);
    expect(spec.label).toEqual(ISSUE_SPEC.label);
    expect(spec.missingValues).toEqual(['', 'NA']);
    expect(spec.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('defaults missingValues to the empty cell only', () => {
    expect(parse({ ...ISSUE_SPEC, missingValues: undefined }).missingValues).toEqual(['']);
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /not valid JSON/],
    ['a misspelled key (never ignored)', { ...ISSUE_SPEC, feature: [] }, /feature/],
    [
      'a zero std',
      { ...ISSUE_SPEC, features: [{ column: 'AGE', type: 'numeric', mean: 0, std: 0 }] },
      /features\[0\]\.std: must be > 0/,
    ],
    [
      'an unknown feature type',
      { ...ISSUE_SPEC, features: [{ column: 'AGE', type: 'binned', mean: 0, std: 1 }] },
      /features\[0\]/,
    ],
    [
      'duplicate categories',
      { ...ISSUE_SPEC, features: [{ column: 'SEX', type: 'categorical', categories: ['M', 'M'] }] },
      /features\[0\]\.categories: the categories must be distinct/,
    ],
    [
      'a column encoded twice',
      {
        ...ISSUE_SPEC,
        features: [
          { column: 'AGE', type: 'numeric', mean: 0, std: 1 },
          { column: 'AGE', type: 'numeric', mean: 0, std: 1 },
        ],
      },
      /features\[1\] \(column 'AGE'\): the column is already encoded by features\[0\]/,
    ],
    [
      'the label column as a feature',
      { ...ISSUE_SPEC, features: [{ column: 'INCOME', type: 'numeric', mean: 0, std: 1 }] },
      /label column cannot be a feature/,
    ],
    [
      'a missing indicator without imputation',
      { ...ISSUE_SPEC, features: [{ column: 'AGE', type: 'numeric', mean: 0, std: 1, missingIndicator: true }] },
      /missingIndicator needs an 'impute' value/,
    ],
    [
      'impute together with missing: error',
      { ...ISSUE_SPEC, features: [{ column: 'AGE', type: 'numeric', mean: 0, std: 1, impute: 0, missing: 'error' }] },
      /contradict/,
    ],
    [
      'a category that is also a missing marker',
      { ...ISSUE_SPEC, features: [{ column: 'SEX', type: 'categorical', categories: ['M', 'NA'] }] },
      /category 2 is also listed in missingValues/,
    ],
    [
      'a standalone indicator on a column that refuses missing values',
      {
        ...ISSUE_SPEC,
        features: [
          { column: 'AGE', type: 'numeric', mean: 0, std: 1 },
          { column: 'AGE', type: 'missing-indicator' },
        ],
      },
      /refuses missing values/,
    ],
  ])('refuses %s with one line naming the spec', (_, spec, message) => {
    const err = errorOf(() => parsePreprocessingSpec(typeof spec === 'string' ? spec : JSON.stringify(spec), 'x.json'));
    expect(err.code).toBe(EngineErrorCode.PreprocessingSpecInvalid);
    expect(err.message).toMatch(/^preprocessing spec x\.json: /);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('\n');
  });

  it('refuses a spec whose width is not the model input width, naming the spec and both widths', () => {
    const err = errorOf(() => assertSpecFitsModel(parse(ISSUE_SPEC, 'income.json'), 9, 'the model file'));
    expect(err.code).toBe(EngineErrorCode.ModelShapeMismatch);
    expect(err.message).toBe(
      'preprocessing spec income.json encodes 6 model inputs (3 raw columns), but the model file expects 9',
    );
    expect(() => assertSpecFitsModel(parse(ISSUE_SPEC), 6)).not.toThrow();
  });
});

describe('createRowEncoder', () => {
  it('encodes the issue example as StandardScaler, SimpleImputer(add_indicator) and OneHotEncoder would', () => {
    const row = encode(ISSUE_SPEC, ['50', 'F', 'high']);
    expect(row).toHaveLength(6);
    expect(row[0]).toBeCloseTo((50 - 38.2) / 12.9, 12);
    expect(row.slice(1)).toEqual([0, 0, 1, 0, expect.closeTo((2 - 1.1) / 0.7, 12)]);
  });

  it('imputes a missing numeric cell in raw units, then scales it, and sets the indicator', () => {
    const spec = {
      ...ISSUE_SPEC,
      features: [{ column: 'AGE', type: 'numeric', mean: 40, std: 10, impute: 35, missingIndicator: true }],
    };
    expect(encode(spec, ['NA'])).toEqual([-0.5, 1]);
    expect(encode(spec, [''])).toEqual([-0.5, 1]);
    expect(encode(spec, ['60'])).toEqual([2, 0]);
  });

  it('scales the indicator when a StandardScaler followed the imputer ({mean, std})', () => {
    const spec = {
      ...ISSUE_SPEC,
      features: [
        { column: 'AGE', type: 'numeric', mean: 40, std: 10, impute: 35, missingIndicator: { mean: 0.2, std: 0.4 } },
      ],
    };
    expect(encode(spec, ['NA'])[1]).toBeCloseTo(2, 12);
    expect(encode(spec, ['40'])[1]).toBeCloseTo(-0.5, 12);
  });

  it('one-hot encodes categories in the listed order, with the missing column last', () => {
    expect(encode(ISSUE_SPEC, ['1', 'M', 'low']).slice(2, 5)).toEqual([1, 0, 0]);
    expect(encode(ISSUE_SPEC, ['1', 'NA', 'low']).slice(2, 5)).toEqual([0, 0, 1]);
  });

  it("gives all zeros for missing: 'ignore' and unknown: 'ignore' (OneHotEncoder handle_unknown='ignore')", () => {
    const spec = {
      ...ISSUE_SPEC,
      features: [{ column: 'SEX', type: 'categorical', categories: ['M', 'F'], missing: 'ignore', unknown: 'ignore' }],
    };
    expect(encode(spec, [''])).toEqual([0, 0]);
    expect(encode(spec, ['X'])).toEqual([0, 0]);
    expect(encode(spec, ['F'])).toEqual([0, 1]);
  });

  it('places standalone missing indicators where the spec lists them (ColumnTransformer order)', () => {
    const spec = {
      ...ISSUE_SPEC,
      features: [
        { column: 'A', type: 'numeric', mean: 0, std: 1, impute: 5 },
        { column: 'B', type: 'numeric', mean: 0, std: 1, impute: 7 },
        { column: 'A', type: 'missing-indicator' },
        { column: 'B', type: 'missing-indicator', mean: 0.5, std: 0.5 },
      ],
    };
    expect(parse(spec).inputNames).toEqual(['A', 'B', 'A_missing', 'B_missing']);
    expect(encode(spec, ['NA', '2'])).toEqual([5, 2, 1, -1]);
  });

  const SECRET = 'Zanzibar-7731';
  it.each<[string, string[], EngineErrorCode, RegExp]>([
    [
      'an unknown category',
      ['1', SECRET, 'low'],
      EngineErrorCode.CsvUnknownCategory,
      /column 'SEX': value is not one of the 2 categories/,
    ],
    [
      'an unknown level',
      ['1', 'M', SECRET],
      EngineErrorCode.CsvUnknownCategory,
      /column 'EDUCATION': value is not one of the 3 levels/,
    ],
    [
      'a missing value where the spec says error',
      ['1', 'M', 'NA'],
      EngineErrorCode.CsvMissingValue,
      /column 'EDUCATION': missing value/,
    ],
    [
      'a non-numeric numeric cell',
      [SECRET, 'M', 'low'],
      EngineErrorCode.CsvNotNumeric,
      /column 'AGE': value is not a number/,
    ],
    ['a NaN numeric cell', ['NaN', 'M', 'low'], EngineErrorCode.CsvNonFinite, /column 'AGE': value is NaN or infinite/],
  ])('refuses %s naming file, line, row and column, never the value', (_, cells, code, message) => {
    const err = errorOf(() => encode(ISSUE_SPEC, cells));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(/^members\.csv line 7 \(row 6\), column '/);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(SECRET);
    expect(err.location).toMatchObject({ file: 'members.csv', line: 7, row: 6 });
  });
});
