// `privaudit audit --attacks inversion.attribute,inversion.miface --sensitive-column ...`: main() in-process on real
// files in a temp dir, as a user runs it; and the one-line errors for a bad sensitive column (never a value).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  PENGUINS_SPEC,
  penguinsAuditArgs,
  trainPenguinsTarget,
  writePenguinSplit,
} from '../../../test/fixtures/penguins';
import type { AttributeInferenceMetrics, AuditReport, InversionFinding } from '../../../libs/engine/src/types';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';

jest.setTimeout(180_000);

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-cli-inversion-'));
  const split = await writePenguinSplit(dir, 5);
  await fs.writeFile(path.join(dir, 'penguins.onnx'), await trainPenguinsTarget(split.members, 5, 60));
  await fs.writeFile(path.join(dir, 'penguins.preprocessing.json'), await fs.readFile(PENGUINS_SPEC));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir, {});
  return main(['node', 'privaudit', ...args], io).then((code) => ({ code, io }));
}

it('runs attribute inference and MI-Face, writes the report and the reconstructions', async () => {
  const { code } = await run(
    penguinsAuditArgs(
      '--attacks',
      'inversion.attribute,inversion.miface',
      '--sensitive-column',
      'sex',
      '--inversion-out',
      'recon',
      '--out',
      'report.json',
    ),
  );
  expect(code).toBe(0);
  const report = JSON.parse(await fs.readFile(path.join(dir, 'report.json'), 'utf8')) as AuditReport;
  expect(report.findings.map((f) => f.attack)).toEqual(['inversion.attribute', 'inversion.miface']);
  const m = (report.findings[0] as InversionFinding).metrics as AttributeInferenceMetrics;
  expect(m.advantageCi).toHaveLength(2);
  expect(report.config.inversion).toEqual({ sensitiveColumn: 'sex' });
  expect(await fs.readdir(path.join(dir, 'recon'))).toContain('miface-class-0.raw.csv');
});

it('refuses a continuous or unknown sensitive column in one line naming the column', async () => {
  for (const [column, message] of [
    ['body_mass_g', "sensitive column 'body_mass_g' is numeric (continuous)"],
    ['gender', "sensitive column 'gender' is not a column of preprocessing spec"],
  ] as const) {
    const { code, io } = await run(
      penguinsAuditArgs('--attacks', 'inversion.attribute', '--sensitive-column', column, '--out', 'x.json'),
    );
    const lines = io.stderr
      .join('')
      .split('\n')
      .filter((l) => l !== '');
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  }
});
