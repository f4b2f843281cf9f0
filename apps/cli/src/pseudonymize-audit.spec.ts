// Pseudonymised row ids end to end on the command line (issue 12, "Redaction"): an audit of tables whose ids
// are e-mail addresses, with membership and attribute-inference findings, written as JSON, HTML and PDF. No raw
// id may appear in any of them (the PDF read back with pdftotext), every id listed must be the pseudonym of a
// member under the key, and `privaudit pseudonymize` must give the key holder the same mapping.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  PENGUINS_SPEC,
  penguinsAuditArgs,
  trainPenguinsTarget,
  writePenguinSplit,
} from '../../../test/fixtures/penguins';
import { pdfText } from '../../../test/fixtures/pdf-text';
import { pseudonymKeyId, pseudonymOf } from '../../../libs/engine/src/data/row-id-pseudonyms';
import type { AuditReport } from '../../../libs/engine/src/types';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';

jest.setTimeout(180_000);

const KEY_HEX = 'c0ffee'.repeat(10) + 'abcd';
const KEY = Buffer.from(KEY_HEX, 'hex');
let dir: string;
/** Every raw id of the three files: e-mail addresses, natural keys. */
let rawIds: string[];
let memberIds: string[];

/** The penguin split with ids rewritten as e-mail addresses ("penguin-17" -> "penguin.17@zoo.example"). */
async function emailIds(file: string): Promise<string[]> {
  const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
  const rewritten = lines.map((line, i) =>
    i === 0 ? line : line.replace(/^penguin-(\d+),/, 'penguin.$1@zoo.example,'),
  );
  await fs.writeFile(file, `${rewritten.join('\n')}\n`);
  return rewritten.slice(1).map((line) => line.split(',')[0] as string);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-cli-pseudonyms-'));
  const split = await writePenguinSplit(dir, 5);
  memberIds = await emailIds(split.members);
  rawIds = [...memberIds, ...(await emailIds(split.nonMembers)), ...(await emailIds(split.population))];
  await fs.writeFile(path.join(dir, 'penguins.onnx'), await trainPenguinsTarget(split.members, 5, 60));
  await fs.writeFile(path.join(dir, 'penguins.preprocessing.json'), await fs.readFile(PENGUINS_SPEC));
  await fs.writeFile(path.join(dir, 'tenant.key'), `${KEY_HEX}\n`);
  await fs.writeFile(path.join(dir, 'short.key'), 'abcd\n');
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir, {});
  return main(['node', 'privaudit', ...args], io).then((code) => ({ code, io }));
}

it('writes JSON, HTML and PDF in which every row id is a pseudonym and no raw id appears', async () => {
  const { code, io } = await run(
    penguinsAuditArgs(
      '--attacks',
      'membership.loss,membership.confidence,inversion.attribute',
      '--sensitive-column',
      'sex',
      '--pseudonymize-ids',
      '--pseudonym-key-file',
      'tenant.key',
      '--out',
      'report.json',
      '--html',
      'report.html',
      '--pdf',
      'report.pdf',
    ),
  );
  expect(io.stderr.join('\n')).toBe('');
  expect(code).toBe(0);
  const json = await fs.readFile(path.join(dir, 'report.json'), 'utf8');
  const html = await fs.readFile(path.join(dir, 'report.html'), 'utf8');
  const pdf = pdfText(await fs.readFile(path.join(dir, 'report.pdf'))).replace(/\s+/g, '');
  const report = JSON.parse(json) as AuditReport;

  expect(report.data.pseudonymizedIds).toEqual({ scheme: 'hmac-sha256-128', keyId: pseudonymKeyId(KEY) });
  const exposedOf = (f: AuditReport['findings'][number]) => ('mostExposed' in f ? (f.mostExposed ?? []) : []);
  const listed = report.findings.flatMap((f) => exposedOf(f).map((r) => r.rowId));
  // Membership findings and attribute inference both list records.
  expect(report.findings.filter((f) => exposedOf(f).length > 0).map((f) => f.attack)).toEqual(
    expect.arrayContaining(['membership.loss', 'inversion.attribute']),
  );
  const memberPseudonyms = new Set(memberIds.map((id) => pseudonymOf(KEY, id)));
  for (const id of listed) {
    expect(id).toMatch(/^ps_[0-9a-f]{32}$/);
    expect(memberPseudonyms.has(id)).toBe(true);
  }
  // No raw id, nor its distinctive part, anywhere; the key neither.
  for (const text of [json, html, pdf, ...io.stdout]) {
    expect(text).not.toContain('@zoo.example');
    expect(text).not.toContain(KEY_HEX);
  }
  for (const id of rawIds.slice(0, 50)) expect(json).not.toContain(id);
  // The documents list the pseudonyms and say whose key makes them.
  expect(html).toContain(listed[0]);
  expect(pdf).toContain(listed[0]);
  expect(html).toContain(pseudonymKeyId(KEY));
  expect(pdf).toContain(pseudonymKeyId(KEY));
});

it('privaudit pseudonymize gives the key holder the mapping, from an id list or a CSV column', async () => {
  await fs.writeFile(path.join(dir, 'ids.txt'), `${memberIds[0]}\r\n${memberIds[1]}\n\n`);
  const fromList = await run(['pseudonymize', '--key-file', 'tenant.key', '--ids', 'ids.txt']);
  expect(fromList.code).toBe(0);
  // Lines end with a newline, as a file redirected from stdout must.
  expect(fromList.io.stdout.join('').split('\n')).toEqual([
    'id,pseudonym',
    `${memberIds[0]},${pseudonymOf(KEY, memberIds[0]!)}`,
    `${memberIds[1]},${pseudonymOf(KEY, memberIds[1]!)}`,
    '',
  ]);
  expect(fromList.io.stderr.join('\n')).toContain(pseudonymKeyId(KEY));
  expect(fromList.io.stderr.join('\n')).not.toContain(KEY_HEX);

  const fromCsv = await run(['pseudonymize', '--key-file', 'tenant.key', '--ids', 'members.csv', '--id-column', 'id']);
  expect(fromCsv.code).toBe(0);
  const rows = fromCsv.io.stdout.join('').split('\n');
  expect(rows).toHaveLength(memberIds.length + 2);
  expect(rows.at(-1)).toBe('');
  expect(rows[5]).toBe(`${memberIds[4]},${pseudonymOf(KEY, memberIds[4]!)}`);
});

it('refuses a missing or short key and one flag without the other, in one line, never echoing the key', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [penguinsAuditArgs('--pseudonymize-ids', '--out', 'x.json'), 2, /--pseudonymize-ids needs --pseudonym-key-file/],
    [penguinsAuditArgs('--pseudonym-key-file', 'tenant.key', '--out', 'x.json'), 2, /applies with --pseudonymize-ids/],
    [
      penguinsAuditArgs('--pseudonymize-ids', '--pseudonym-key-file', 'short.key', '--out', 'x.json'),
      1,
      /--pseudonym-key-file short\.key: a pseudonym key must hold at least 32 bytes/,
    ],
    [
      penguinsAuditArgs('--pseudonymize-ids', '--pseudonym-key-file', 'nope.key', '--out', 'x.json'),
      1,
      /--pseudonym-key-file: file not found: nope\.key/,
    ],
    [['pseudonymize', '--key-file', 'short.key', '--ids', 'members.csv'], 1, /at least 32 bytes/],
    [['pseudonymize', '--key-file', 'tenant.key', '--ids', 'members.csv', '--id-column', 'ID'], 1, /no column 'ID'/],
  ];
  for (const [args, exit, message] of cases) {
    const { code, io } = await run(args);
    expect(code).toBe(exit);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(message);
    expect(io.stderr[0]).not.toContain('abcd');
  }
});

it('a members / non-members overlap under pseudonymised ids names rows, never an id', async () => {
  const { code, io } = await run(
    penguinsAuditArgs(
      '--nonmembers',
      'members.csv',
      '--attacks',
      'membership.loss',
      '--pseudonymize-ids',
      '--pseudonym-key-file',
      'tenant.key',
      '--out',
      'x.json',
    ),
  );
  expect(code).toBe(1);
  expect(io.stderr[0]).toMatch(/row id\(s\) appear both among the members .*: rows 1, 2, 3, \.\.\. of members\.csv/);
  expect(io.stderr[0]).not.toMatch(/@zoo\.example|ps_/);
});
