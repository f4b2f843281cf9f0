import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { csvText } from '../../../../test/fixtures/onnx-fixtures';
import { EngineError, EngineErrorCode } from '../errors';
import { inferCsvSchema, loadLabeledCsv } from './csv-dataset';
import { DATA_DIR, LETTER } from '../../../../test/fixtures/datasets';

const DATASETS = DATA_DIR;
const SECRET = '987654321'; // a cell value that must never reach a message

async function engineErrorOf(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

function load(text: string, extra: Partial<Parameters<typeof loadLabeledCsv>[1]> = {}) {
  return loadLabeledCsv(Buffer.from(text), { labelColumn: 'y', fileLabel: 'members.csv', ...extra });
}

describe('loadLabeledCsv', () => {
  it('loads digits.csv from disk: 1797 rows, 64 features, labels 0..9, sha256 of the bytes', async () => {
    const path = `${DATASETS}/digits.csv`;
    const ds = await loadLabeledCsv(path, { labelColumn: 'digit', numClasses: 10, expectedFeatureCount: 64 });
    expect(ds.nRows).toBe(1797);
    expect(ds.nFeatures).toBe(64);
    expect(ds.features.length).toBe(1797 * 64);
    expect(ds.featureNames[0]).toBe('p0');
    expect(ds.featureNames).not.toContain('digit');
    expect(new Set(ds.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(ds.rowIds[0]).toBe('1');
    expect(ds.rowIds[1796]).toBe('1797');
    expect(ds.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
    expect(ds.sha256).toBe('ba6ee5aa91a99912e5e4e601339a3d45bb1c136a5df153daf68d7a8e45a04ce5');
  });

  it('loads letter.csv, a real table with duplicate records: 20000 rows, 16 features, letters A..Z as classes', async () => {
    const ds = await loadLabeledCsv(LETTER.path, {
      labelColumn: LETTER.labelColumn,
      classes: [...LETTER.classes],
      fileLabel: 'letter.csv',
    });
    expect([ds.nRows, ds.nFeatures]).toEqual([20000, 16]);
    expect(ds.featureNames[0]).toBe('x.box');
    // First data line: T,2,8,3,5,1,8,13,0,6,6,10,8,0,8,0,8
    expect(ds.labels[0]).toBe(19);
    expect(Array.from(ds.features.subarray(0, 16))).toEqual([2, 8, 3, 5, 1, 8, 13, 0, 6, 6, 10, 8, 0, 8, 0, 8]);
    expect(ds.rowIds.slice(0, 2)).toEqual(['1', '2']);
  });

  it('maps satellite.csv string labels through the declared classes', async () => {
    const classes = [
      'red soil',
      'cotton crop',
      'grey soil',
      'damp grey soil',
      'vegetation stubble',
      'very damp grey soil',
    ];
    const ds = await loadLabeledCsv(`${DATASETS}/satellite.csv`, {
      labelColumn: 'classes',
      classes,
      fileLabel: 'satellite.csv',
    });
    expect(ds.nRows).toBe(6435);
    expect(ds.nFeatures).toBe(36);
    const counts = new Array(6).fill(0);
    for (const l of ds.labels) counts[l]++;
    expect(counts).toEqual([1533, 703, 1358, 626, 707, 1508]);
  });

  it('refuses satellite.csv string labels without --classes, suggesting it', async () => {
    const err = await engineErrorOf(
      loadLabeledCsv(`${DATASETS}/satellite.csv`, { labelColumn: 'classes', fileLabel: 'satellite.csv' }),
    );
    expect(err.code).toBe(EngineErrorCode.CsvNotNumeric);
    expect(err.message).toContain('--classes');
    expect(err.message).toContain("satellite.csv line 2 (row 1), column 'classes'");
    expect(err.message).not.toContain('grey soil');
  });

  it('refuses penguins.csv clearly: string feature columns are not guessed', async () => {
    const err = await engineErrorOf(
      loadLabeledCsv(`${DATASETS}/penguins.csv`, {
        labelColumn: 'species',
        classes: ['Adelie', 'Chinstrap', 'Gentoo'],
        fileLabel: 'penguins.csv',
      }),
    );
    expect(err.code).toBe(EngineErrorCode.CsvNotNumeric);
    expect(err.message).toBe(
      "penguins.csv line 2 (row 1), column 'island': value is not a number; feature columns must already be numeric as the model expects, or be encoded by the model's preprocessing spec (--preprocessing); categorical encoding is not guessed",
    );
    expect(err.location).toMatchObject({ line: 2, row: 1, column: 'island' });
  });

  it('refuses penguins.csv NA cells as missing values even with only numeric features', async () => {
    const err = await engineErrorOf(
      loadLabeledCsv(`${DATASETS}/penguins.csv`, {
        labelColumn: 'species',
        classes: ['Adelie', 'Chinstrap', 'Gentoo'],
        featureColumns: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'],
        fileLabel: 'penguins.csv',
      }),
    );
    expect(err.code).toBe(EngineErrorCode.CsvMissingValue);
    expect(err.message).toContain("penguins.csv line 5 (row 4), column 'bill_length_mm': missing value");
    expect(err.message).toContain('preprocessing');
  });

  it('uses the id column for row ids and keeps the group column out of the features', async () => {
    const ds = await load(
      csvText(
        ['id', 'a', 'g', 'b', 'y'],
        [
          ['u1', 1, 'f', 2.5, 0],
          ['u2', -3, 'm', 1e-3, 1],
        ],
      ),
      { idColumn: 'id', groupColumn: 'g' },
    );
    expect(ds.rowIds).toEqual(['u1', 'u2']);
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(Array.from(ds.features)).toEqual([1, 2.5, -3, Math.fround(1e-3)]);
    expect(ds.groups).toEqual(['f', 'm']);
  });

  it('takes feature columns in the declared model order', async () => {
    const ds = await load(csvText(['a', 'b', 'y'], [[1, 2, 0]]), { featureColumns: ['b', 'a'] });
    expect(Array.from(ds.features)).toEqual([2, 1]);
  });

  it('handles quoted fields, CRLF line endings, a BOM and blank lines', async () => {
    const text = '\ufeffa,b,y\r\n"1","2",0\r\n\r\n3,4,1\r\n';
    const ds = await load(text);
    expect(ds.nRows).toBe(2);
    expect(Array.from(ds.labels)).toEqual([0, 1]);
  });

  describe('structural errors carry the line, never the content', () => {
    it('inconsistent column count', async () => {
      const rows = [
        [1, 2, 0],
        [1, 2, 1],
        [3, 4, 0],
        [5, 6, 1],
        [7, 8, 0],
      ] as Array<Array<string | number>>;
      rows.push([SECRET, 1, 2, 0, 9]);
      const err = await engineErrorOf(load(csvText(['a', 'b', 'c', 'y'].slice(1), rows)));
      expect(err.code).toBe(EngineErrorCode.CsvColumnCount);
      expect(err.message).toBe('members.csv line 7: 5 fields, header has 3');
      expect(err.location?.line).toBe(7);
    });

    it('unclosed quote, reported at the line where the quoted record starts', async () => {
      const err = await engineErrorOf(load(`a,b,y\n1,2,0\n"${SECRET},2,0\n3,4,1\n`));
      expect(err.code).toBe(EngineErrorCode.CsvUnclosedQuote);
      expect(err.message).toMatch(/^members\.csv line 3: /);
      expect(err.message).not.toContain(SECRET);
    });

    it('characters after a closing quote', async () => {
      const err = await engineErrorOf(load(`a,b,y\n1,"2"${SECRET},0\n`));
      expect(err.code).toBe(EngineErrorCode.CsvMalformed);
      expect(err.message).toMatch(/^members\.csv line 2: /);
      expect(err.message).not.toContain(SECRET);
    });

    it('duplicate header names', async () => {
      const err = await engineErrorOf(load('a,b,a,y\n1,2,3,0\n'));
      expect(err.code).toBe(EngineErrorCode.CsvDuplicateHeader);
      expect(err.message).toBe("members.csv line 1: header 'a' appears twice (columns 1 and 3)");
    });

    it('missing declared columns', async () => {
      const missingLabel = await engineErrorOf(load('a,b\n1,2\n'));
      expect(missingLabel.code).toBe(EngineErrorCode.CsvMissingColumn);
      expect(missingLabel.message).toContain("label column 'y'");
      const missingId = await engineErrorOf(load('a,y\n1,0\n', { idColumn: 'patient_id' }));
      expect(missingId.message).toContain("id column 'patient_id'");
      const missingFeature = await engineErrorOf(load('a,y\n1,0\n', { featureColumns: ['a', 'age'] }));
      expect(missingFeature.message).toContain("feature column 'age'");
    });

    it('a misspelt label, id or group column suggests the nearest header name', async () => {
      const text = csvText(['patient_id', 'age', 'sex', 'diagnosis'], [['p1', 30, 'f', 0]]);
      const label = await engineErrorOf(load(text, { labelColumn: 'diagnsois' }));
      expect(label.code).toBe(EngineErrorCode.CsvMissingColumn);
      expect(label.message).toBe(
        "members.csv: label column 'diagnsois' is not in the header (4 columns); did you mean 'diagnosis'?",
      );
      const id = await engineErrorOf(load(text, { labelColumn: 'diagnosis', idColumn: 'Patient_ID' }));
      expect(id.message).toMatch(/id column 'Patient_ID' is not in the header \(4 columns\); did you mean 'patient_id'\?$/);
      const group = await engineErrorOf(load(text, { labelColumn: 'diagnosis', groupColumn: 'sexe' }));
      expect(group.message).toMatch(/group column 'sexe' .*; did you mean 'sex'\?$/);
      // Nothing near: no guess.
      const far = await engineErrorOf(load(text, { labelColumn: 'outcome' }));
      expect(far.message).toBe("members.csv: label column 'outcome' is not in the header (4 columns)");
    });

    it('empty file and header-only file', async () => {
      expect((await engineErrorOf(load(''))).code).toBe(EngineErrorCode.CsvEmpty);
      const headerOnly = await engineErrorOf(load('a,b,y\n'));
      expect(headerOnly.code).toBe(EngineErrorCode.CsvEmpty);
      expect(headerOnly.message).toContain('no data rows');
    });

    it('unreadable path', async () => {
      const err = await engineErrorOf(loadLabeledCsv('/nonexistent/members.csv', { labelColumn: 'y' }));
      expect(err.message).toBe('members.csv: cannot read the file (ENOENT)');
    });
  });

  describe('cell errors name row and column, never the value', () => {
    it.each([
      ['NaN', EngineErrorCode.CsvNonFinite],
      ['-Infinity', EngineErrorCode.CsvNonFinite],
      ['-inf', EngineErrorCode.CsvNonFinite],
      ['1e400', EngineErrorCode.CsvNonFinite],
      ['1e39', EngineErrorCode.CsvNonFinite], // finite double, infinite float32
      ['', EngineErrorCode.CsvMissingValue],
      ['NA', EngineErrorCode.CsvMissingValue],
      ['12abc', EngineErrorCode.CsvNotNumeric],
      ['0x10', EngineErrorCode.CsvNotNumeric],
    ])('feature cell %p -> %s', async (cell, code) => {
      const err = await engineErrorOf(
        load(
          csvText(
            ['a', 'b', 'y'],
            [
              [1, 2, 0],
              [3, cell, 1],
            ],
          ),
        ),
      );
      expect(err.code).toBe(code);
      expect(err.message).toMatch(/^members\.csv line 3 \(row 2\), column 'b': /);
      expect(err.location).toMatchObject({ file: 'members.csv', line: 3, row: 2, column: 'b' });
      if (cell.length > 3) expect(err.message).not.toContain(cell); // 'NaN' is also a word of the message
    });

    it('labels outside the model classes', async () => {
      const err = await engineErrorOf(
        load(
          csvText(
            ['a', 'y'],
            [
              [1, 0],
              [2, 3],
            ],
          ),
          { numClasses: 3 },
        ),
      );
      expect(err.code).toBe(EngineErrorCode.LabelOutOfRange);
      expect(err.message).toBe(
        "members.csv line 3 (row 2), column 'y': label is not an integer in [0, 2] (the model's classes)",
      );
      expect((await engineErrorOf(load(csvText(['a', 'y'], [[1, -1]])))).code).toBe(EngineErrorCode.LabelOutOfRange);
      expect((await engineErrorOf(load(csvText(['a', 'y'], [[1, 1.5]])))).code).toBe(EngineErrorCode.LabelOutOfRange);
    });

    it('a string label not among the declared classes', async () => {
      const err = await engineErrorOf(
        load(
          csvText(
            ['a', 'y'],
            [
              [1, 'cat'],
              [2, 'platypus'],
            ],
          ),
          { classes: ['cat', 'dog'] },
        ),
      );
      expect(err.code).toBe(EngineErrorCode.LabelOutOfRange);
      expect(err.message).toContain('row 2');
      expect(err.message).not.toContain('platypus');
    });

    it('declared classes that disagree with the model', async () => {
      const err = await engineErrorOf(
        load(csvText(['a', 'y'], [[1, 'cat']]), { classes: ['cat', 'dog'], numClasses: 3 }),
      );
      expect(err.code).toBe(EngineErrorCode.InvalidOption);
    });

    it('duplicate row ids', async () => {
      const err = await engineErrorOf(
        load(
          csvText(
            ['id', 'a', 'y'],
            [
              [SECRET, 1, 0],
              ['x', 2, 1],
              [SECRET, 3, 0],
            ],
          ),
          { idColumn: 'id' },
        ),
      );
      expect(err.code).toBe(EngineErrorCode.CsvDuplicateId);
      expect(err.message).toBe("members.csv line 4 (row 3), column 'id': the same id as row 1; row ids must be unique");
    });

    it('more rows than allowed', async () => {
      const err = await engineErrorOf(
        load(
          csvText(
            ['a', 'y'],
            [
              [1, 0],
              [2, 1],
              [3, 0],
            ],
          ),
          { maxRows: 2 },
        ),
      );
      expect(err.code).toBe(EngineErrorCode.CsvTooLarge);
    });

    it('a feature count that does not match the model', async () => {
      const err = await engineErrorOf(load(csvText(['a', 'b', 'c', 'y'], [[1, 2, 3, 0]]), { expectedFeatureCount: 2 }));
      expect(err.code).toBe(EngineErrorCode.ModelShapeMismatch);
      expect(err.message).toBe('model expects 2 features, members.csv has 3 feature columns');
    });

    it('a raw table against a model with encoded input suggests --preprocessing, never quoting a cell', async () => {
      const hint =
        'if the file is a raw table (string categories, missing values), describe its encoding with --preprocessing spec.json (docs/preprocessing.md)';
      // Fewer columns than the model's (one-hot encoded) input.
      const fewer = await engineErrorOf(load(csvText(['a', 'b', 'y'], [[1, 2, 0]]), { expectedFeatureCount: 3 }));
      expect(fewer.code).toBe(EngineErrorCode.ModelShapeMismatch);
      expect(fewer.message).toBe(`model expects 3 features, members.csv has 2 feature columns; ${hint}`);
      // More columns, but string or empty cells in the first data row's feature columns.
      const strings = await engineErrorOf(
        load(csvText(['a', 'b', 'c', 'y'], [[1, SECRET + 'x', '', 0]]), { expectedFeatureCount: 2 }),
      );
      expect(strings.message).toBe(`model expects 2 features, members.csv has 3 feature columns; ${hint}`);
      expect(strings.message).not.toContain(SECRET);
    });

    it('house_votes_84.csv (16 yes/no votes with gaps) against a 32-input model suggests --preprocessing', async () => {
      const err = await engineErrorOf(
        loadLabeledCsv(`${DATASETS}/house_votes_84.csv`, {
          labelColumn: 'Class',
          classes: ['democrat', 'republican'],
          fileLabel: 'house_votes_84.csv',
          expectedFeatureCount: 32,
        }),
      );
      expect(err.message).toMatch(
        /^model expects 32 features, house_votes_84\.csv has 16 feature columns; if the file is a raw table .*--preprocessing spec\.json/,
      );
    });
  });
});

describe('inferCsvSchema', () => {
  it('describes penguins.csv column types and NA counts', async () => {
    const schema = await inferCsvSchema(`${DATASETS}/penguins.csv`);
    expect(schema.rows).toBe(344);
    const byName = Object.fromEntries(schema.columns.map((c) => [c.name, c]));
    expect(byName.species).toEqual({ name: 'species', type: 'string', missing: 0 });
    expect(byName.bill_length_mm).toEqual({ name: 'bill_length_mm', type: 'number', missing: 2 });
    expect(byName.body_mass_g).toEqual({ name: 'body_mass_g', type: 'integer', missing: 2 });
    expect(byName.sex?.missing).toBe(11);
    expect(schema.sha256).toBe('f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93');
  });

  it('applies the same structural validation as the loader', async () => {
    const count = await engineErrorOf(inferCsvSchema(Buffer.from('a,b\n1,2\n3\n'), { fileLabel: 'upload.csv' }));
    expect(count.code).toBe(EngineErrorCode.CsvColumnCount);
    expect(count.message).toBe('upload.csv line 3: 1 fields, header has 2');
    expect((await engineErrorOf(inferCsvSchema(Buffer.from('a,a\n1,2\n')))).code).toBe(
      EngineErrorCode.CsvDuplicateHeader,
    );
    expect((await engineErrorOf(inferCsvSchema(Buffer.from('a,b\n"1,2\n')))).code).toBe(
      EngineErrorCode.CsvUnclosedQuote,
    );
    expect((await engineErrorOf(inferCsvSchema(Buffer.from('a,b\n1,2\n3,4\n'), { maxRows: 1 }))).code).toBe(
      EngineErrorCode.CsvTooLarge,
    );
  });
});
