// Raw tables through a preprocessing spec: the real penguins table (strings, NA cells) encoded exactly as the
// fitted scikit-learn ColumnTransformer encodes it, and errors that point at a cell without quoting it.
import { readFileSync } from 'node:fs';
import {
  PENGUIN_CLASSES,
  PENGUINS_CSV,
  PENGUINS_SKLEARN_ENCODED,
  penguinsSpec,
} from '../../../../test/fixtures/penguins';
import { EngineError, EngineErrorCode } from '../errors';
import { parsePreprocessingSpec } from '../preprocessing/preprocessing-spec';
import { inferCsvSchema, loadLabeledCsv } from './csv-dataset';

const SECRET = 'Atlantis-4471'; // a cell value that must never reach a message

async function engineErrorOf(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

const SPEC = parsePreprocessingSpec(
  JSON.stringify({
    label: { column: 'y', classes: ['no', 'yes'] },
    missingValues: ['', 'NA'],
    features: [
      { column: 'age', type: 'numeric', mean: 40, std: 10, impute: 40, missingIndicator: true },
      { column: 'sex', type: 'categorical', categories: ['F', 'M'], missing: 'indicator' },
      { column: 'edu', type: 'ordinal', levels: ['low', 'mid', 'high'], mean: 1, std: 1, missing: 'error' },
      { column: 'city', type: 'categorical', categories: ['A', 'B'], missing: 'error' },
    ],
  }),
  'people.json',
);

function loadRaw(text: string, extra: Partial<Parameters<typeof loadLabeledCsv>[1]> = {}) {
  return loadLabeledCsv(Buffer.from(text), {
    labelColumn: 'y',
    idColumn: 'id',
    classes: ['no', 'yes'],
    fileLabel: 'members.csv',
    preprocessing: SPEC,
    ...extra,
  });
}

const HEADER = 'id,city,age,sex,edu,notes,y';

describe('loadLabeledCsv with a preprocessing spec', () => {
  it('encodes data/penguins.csv exactly as the fitted scikit-learn ColumnTransformer does (all 344 rows)', async () => {
    const spec = penguinsSpec();
    const ds = await loadLabeledCsv(PENGUINS_CSV, {
      labelColumn: 'species',
      classes: PENGUIN_CLASSES,
      preprocessing: spec,
      fileLabel: 'penguins.csv',
    });
    const expected = readFileSync(PENGUINS_SKLEARN_ENCODED, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => line.split(',').map(Number));
    expect(ds.nRows).toBe(344);
    expect(ds.nFeatures).toBe(15);
    expect(ds.featureNames).toEqual(spec.inputNames);
    expect(ds.featureNames).toContain('island=Dream');
    expect(ds.featureNames).toContain('sex_missing');
    expect(expected).toHaveLength(344);
    let worst = 0;
    expected.forEach((row, r) => {
      expect(row).toHaveLength(15);
      row.forEach((value, j) => {
        worst = Math.max(worst, Math.abs((ds.features[r * 15 + j] as number) - Math.fround(value)));
      });
    });
    expect(worst).toBeLessThan(1e-6);
    expect(ds.rowIds[0]).toBe('1');
    expect([...new Set(ds.labels)].sort()).toEqual([0, 1, 2]);
  });

  it('reads only the spec columns (others are ignored), in spec order, and keeps ids and the group column raw', async () => {
    const ds = await loadRaw(`${HEADER}\nr1,B,50,M,high,${SECRET},yes\nr2,A,NA,,low,x,no\n`, { groupColumn: 'sex' });
    expect(ds.featureNames).toEqual(['age', 'age_missing', 'sex=F', 'sex=M', 'sex_missing', 'edu', 'city=A', 'city=B']);
    expect(Array.from(ds.features)).toEqual([1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, -1, 1, 0]);
    expect(ds.rowIds).toEqual(['r1', 'r2']);
    expect(Array.from(ds.labels)).toEqual([1, 0]);
    // The declared sensitive column may be a model input too: slices use its raw values.
    expect(ds.groups).toEqual(['M', '']);
  });

  it.each<[string, string, EngineErrorCode, string]>([
    [
      'an unknown category',
      `r1,B,50,M,high,x,yes\nr2,${SECRET},50,M,high,x,no`,
      EngineErrorCode.CsvUnknownCategory,
      "members.csv line 3 (row 2), column 'city': value is not one of the 2 categories listed in preprocessing spec people.json",
    ],
    [
      'a missing value where the spec says error',
      'r1,B,50,M,NA,x,yes',
      EngineErrorCode.CsvMissingValue,
      "members.csv line 2 (row 1), column 'edu': missing value, and preprocessing spec people.json gives this column no imputation or missing indicator",
    ],
    [
      'a non-numeric cell in a numeric column',
      `r1,B,${SECRET},M,high,x,yes`,
      EngineErrorCode.CsvNotNumeric,
      "members.csv line 2 (row 1), column 'age': value is not a number, but preprocessing spec people.json declares the column numeric",
    ],
  ])('refuses %s naming file, line, row and column, never the value', async (_, rows, code, message) => {
    const err = await engineErrorOf(loadRaw(`${HEADER}\n${rows}\n`));
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain(SECRET);
  });

  it('refuses a spec column missing from the header, and the id column as a spec feature', async () => {
    const missing = await engineErrorOf(loadRaw('id,age,sex,edu,y\nr1,50,M,high,yes\n'));
    expect(missing.code).toBe(EngineErrorCode.CsvMissingColumn);
    expect(missing.message).toContain("feature (preprocessing spec people.json) column 'city' is not in the header");
    const idAsFeature = await engineErrorOf(loadRaw(`${HEADER}\nr1,B,50,M,high,x,yes\n`, { idColumn: 'city' }));
    expect(idAsFeature.message).toContain("column 'city' is a feature of preprocessing spec people.json");
  });

  it("refuses a spec whose width is not the model's, naming the spec and both widths", async () => {
    const err = await engineErrorOf(loadRaw(`${HEADER}\nr1,B,50,M,high,x,yes\n`, { expectedFeatureCount: 9 }));
    expect(err.code).toBe(EngineErrorCode.ModelShapeMismatch);
    expect(err.message).toBe('model expects 9 features, preprocessing spec people.json encodes 8');
  });

  it('leaves NaN cells to the numeric loader: inferCsvSchema counts them without calling the column text', async () => {
    const schema = await inferCsvSchema(Buffer.from('a,b,c,y\n1,NaN,x,0\n2,3,,1\n'));
    expect(schema.columns).toEqual([
      { name: 'a', type: 'integer', missing: 0 },
      { name: 'b', type: 'integer', missing: 0, nonFinite: 1 },
      { name: 'c', type: 'string', missing: 1 },
      { name: 'y', type: 'integer', missing: 0 },
    ]);
  });
});
