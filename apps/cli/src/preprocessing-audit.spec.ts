// `privaudit audit --preprocessing`: a raw table (data/penguins.csv: string categories, NA cells) audited as a
// user would, main() in-process on real files in a temp dir; and the errors a raw table meets, each one line
// that names the file, line and column and never the cell.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PENGUINS_SPEC, trainPenguinsTarget, writePenguinSplit } from '../../../test/fixtures/penguins';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';

// Real training and inference on a shared 2-core machine.
jest.setTimeout(120_000);

let dir: string;
let model: Uint8Array;
let specBytes: Buffer;
const SECRET = 'Atlantis';

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-cli-raw-'));
  const split = await writePenguinSplit(dir, 5);
  model = await trainPenguinsTarget(split.members, 5, 60);
  await fs.writeFile(path.join(dir, 'penguins.onnx'), model);
  specBytes = await fs.readFile(PENGUINS_SPEC);
  await fs.writeFile(path.join(dir, 'penguins.preprocessing.json'), specBytes);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir, {});
  return main(['node', 'privaudit', ...args], io).then((code) => ({ code, io }));
}

const auditArgs = (over: Record<string, string> = {}, ...extra: string[]): string[] => {
  const o = {
    '--model': 'penguins.onnx',
    '--members': 'members.csv',
    '--nonmembers': 'nonmembers.csv',
    '--label': 'species',
    '--id-column': 'id',
    '--preprocessing': 'penguins.preprocessing.json',
    '--out': 'out/report.json',
    ...over,
  };
  return ['audit', ...Object.entries(o).flat(), '--quiet', ...extra];
};

const stderrLines = (io: CapturedIo): string[] =>
  io.stderr
    .join('')
    .split('\n')
    .filter((l) => l !== '');

/** A copy of the non-members with one cell of data line `line` (file line, header = 1) replaced. */
async function withCell(file: string, line: number, column: string, value: string): Promise<string> {
  const lines = (await fs.readFile(path.join(dir, 'nonmembers.csv'), 'utf8')).split('\n');
  const header = (lines[0] as string).split(',');
  const cells = (lines[line - 1] as string).split(',');
  cells[header.indexOf(column)] = value;
  lines[line - 1] = cells.join(',');
  await fs.writeFile(path.join(dir, file), lines.join('\n'));
  return file;
}

async function expectOneLineError(args: string[], message: string | RegExp, secret?: string): Promise<string> {
  const { code, io } = await run(args);
  const lines = stderrLines(io);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^privaudit: error: /);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
  if (secret !== undefined) expect(lines[0]).not.toContain(secret);
  expect(code).toBe(1);
  return lines[0] as string;
}

describe('privaudit audit --preprocessing', () => {
  it('audits raw CSVs with string categories and NA cells, and records the spec in the report', async () => {
    const { code, io } = await run(auditArgs());
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.data.preprocessing).toEqual({
      name: 'penguins.preprocessing.json',
      sha256: createHash('sha256').update(specBytes).digest('hex'),
      features: 7,
      inputs: 15,
    });
    expect(report.data.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(report.findings.length).toBeGreaterThan(0);
    for (const f of report.findings) {
      for (const r of f.mostExposed) expect(r.rowId).toMatch(/^penguin-\d+$/);
      expect(f.slices.byClass.map((s: { value: string }) => s.value)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    }
    expect(io.stdout.join('')).toContain('membership.loss');
  });

  it('--dry-run says what the spec encodes', async () => {
    const { code, io } = await run(auditArgs({}, '--dry-run'));
    expect(code).toBe(0);
    expect(io.stdout.join('')).toContain(
      'preprocessing: penguins.preprocessing.json encodes 7 raw columns into 15 model inputs',
    );
  });

  it('refuses an unknown category naming file, line and column, never the value', async () => {
    const file = await withCell('unknown-island.csv', 4, 'island', SECRET);
    await expectOneLineError(
      auditArgs({ '--nonmembers': file }),
      "unknown-island.csv line 4 (row 3), column 'island': value is not one of the 3 categories listed in preprocessing spec penguins.preprocessing.json",
      SECRET,
    );
  });

  it("refuses a missing value where the spec says 'error'", async () => {
    const file = await withCell('missing-island.csv', 7, 'island', 'NA');
    await expectOneLineError(
      auditArgs({ '--nonmembers': file }),
      "missing-island.csv line 7 (row 6), column 'island': missing value, and preprocessing spec penguins.preprocessing.json gives this column no imputation or missing indicator",
    );
  });

  it('refuses a non-numeric cell in a numeric column', async () => {
    const file = await withCell('text-mass.csv', 3, 'body_mass_g', 'heavy-4711');
    await expectOneLineError(
      auditArgs({ '--nonmembers': file }),
      "text-mass.csv line 3 (row 2), column 'body_mass_g': value is not a number, but preprocessing spec penguins.preprocessing.json declares the column numeric",
      'heavy-4711',
    );
  });

  it("refuses a spec whose width is not the model's, naming the spec and both widths", async () => {
    const spec = JSON.parse(specBytes.toString('utf8')) as { features: Array<{ type: string }> };
    const narrow = { ...spec, features: spec.features.filter((f) => f.type !== 'missing-indicator') };
    await fs.writeFile(path.join(dir, 'narrow.json'), JSON.stringify(narrow));
    await expectOneLineError(
      auditArgs({ '--preprocessing': 'narrow.json' }),
      'preprocessing spec narrow.json encodes 11 model inputs (7 raw columns), but the model file expects 15',
    );
  });

  it('refuses a missing spec file and an invalid spec, in one line', async () => {
    await expectOneLineError(
      auditArgs({ '--preprocessing': 'nope.json' }),
      '--preprocessing: file not found: nope.json',
    );
    await fs.writeFile(
      path.join(dir, 'typo.json'),
      JSON.stringify({ ...JSON.parse(specBytes.toString()), feature: [] }),
    );
    await expectOneLineError(
      auditArgs({ '--preprocessing': 'typo.json' }),
      /^privaudit: error: preprocessing spec typo\.json: /,
    );
  });
});
