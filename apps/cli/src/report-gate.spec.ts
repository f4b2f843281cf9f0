// `privaudit report`, `privaudit gate` and `privaudit audit --pdf/--html` as a user meets them: main()
// in-process on real files in a temp dir; the PDF is read back with poppler's pdftotext.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pdfText } from '../../../test/fixtures/pdf-text';
import {
  csvText,
  mlpForwardLogits,
  randomFeatures,
  softmaxMlpOnnx,
  tinyRandomMlp,
} from '../../../test/fixtures/onnx-fixtures';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';

jest.setTimeout(60_000);

const DEMO_REPORT = path.join(__dirname, '../../../test/fixtures/demo-report.json');

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-report-'));
  await fs.copyFile(DEMO_REPORT, path.join(dir, 'report.json'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir);
  const code = await main(['node', 'privaudit', ...args], io);
  return { code, io };
}

const stderrLines = (io: CapturedIo): string[] =>
  io.stderr
    .join('')
    .split('\n')
    .filter((l) => l !== '');

async function writeReportWithScore(name: string, score: number, patch: Record<string, unknown> = {}): Promise<void> {
  const report = JSON.parse(await fs.readFile(DEMO_REPORT, 'utf8'));
  report.risk.score = score;
  report.risk.rating = score >= 85 ? 'critical' : score >= 60 ? 'high' : score >= 30 ? 'medium' : 'low';
  await fs.writeFile(path.join(dir, name), JSON.stringify({ ...report, ...patch }));
}

describe('privaudit report', () => {
  it('renders a report JSON as PDF and HTML, written atomically', async () => {
    const { code, io } = await run(['report', 'report.json', '--pdf', 'out/report.pdf', '--html', 'out/report.html']);
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    const pdf = await fs.readFile(path.join(dir, 'out', 'report.pdf'));
    expect(pdf.subarray(0, 4).toString('latin1')).toBe('%PDF');
    const text = pdfText(pdf);
    expect(text).toContain('Executive summary');
    expect(text).toContain('MEDIUM');
    const html = await fs.readFile(path.join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    // No temporary files left beside the documents.
    expect((await fs.readdir(path.join(dir, 'out'))).sort()).toEqual(['report.html', 'report.pdf']);
  });

  it('is a usage error (exit 2) without --pdf or --html', async () => {
    const { code, io } = await run(['report', 'report.json']);
    expect(code).toBe(2);
    expect(stderrLines(io)).toEqual([expect.stringMatching(/^privaudit: error: .*--pdf/)]);
  });

  it.each([
    ['a missing file', 'missing.json', undefined, /file not found: missing\.json$/],
    ['a file that is not JSON', 'bad.json', 'not json at all', /bad\.json is not JSON/],
    [
      'JSON that is not a report',
      'other.json',
      '{"name":"x"}',
      /other\.json is not a privaudit report: it has no schemaVersion$/,
    ],
    [
      'a report of another schema version',
      'v2.json',
      JSON.stringify({ schemaVersion: 2 }),
      /v2\.json has schemaVersion 2; this privaudit reads schemaVersion 1$/,
    ],
  ])('refuses %s with one line and exit 1, writing nothing', async (_what, name, contents, message) => {
    if (contents !== undefined) await fs.writeFile(path.join(dir, name), contents);
    const { code, io } = await run(['report', name, '--pdf', 'out.pdf']);
    expect(code).toBe(1);
    expect(stderrLines(io)).toEqual([expect.stringMatching(message)]);
    await expect(fs.access(path.join(dir, 'out.pdf'))).rejects.toThrow();
  });

  it('refuses a destination that is a directory', async () => {
    await fs.mkdir(path.join(dir, 'docs'));
    const { code, io } = await run(['report', 'report.json', '--pdf', 'docs']);
    expect(code).toBe(1);
    expect(stderrLines(io)).toEqual([expect.stringMatching(/--pdf docs is a directory/)]);
  });
});

describe('privaudit gate', () => {
  it.each([
    ['the same score', 40, 40, [], 0],
    ['a fall in risk', 40, 12, [], 0],
    ['a rise within --max-rise', 40, 45, ['--max-rise', '5'], 0],
    ['any rise with the default --max-rise 0', 40, 41, [], 3],
    ['a rise beyond --max-rise', 40, 46, ['--max-rise', '5'], 3],
    ['a rise into another rating', 29, 62, ['--max-rise', '10'], 3],
  ])('%s (%i -> %i, %j): exit %i', async (_what, before, after, extra, expected) => {
    await writeReportWithScore('a.json', before as number);
    await writeReportWithScore('b.json', after as number);
    const { code, io } = await run(['gate', '--baseline', 'a.json', '--candidate', 'b.json', ...(extra as string[])]);
    expect(code).toBe(expected);
    if (expected === 0) {
      expect(io.stderr.join('')).toBe('');
      expect(io.stdout.join('')).toMatch(new RegExp(`^gate passed: risk score ${before} -> ${after} `));
    } else {
      expect(stderrLines(io)).toEqual([
        expect.stringMatching(new RegExp(`^privaudit: error: gate failed: risk score ${before} -> ${after} \\(\\+`)),
      ]);
    }
  });

  it.each([
    ['a threshold above 100', ['--max-rise', '101']],
    ['a negative threshold', ['--max-rise', '-1']],
    ['a threshold that is not a number', ['--max-rise', 'five']],
  ])('refuses %s as a usage error (exit 2)', async (_what, extra) => {
    await writeReportWithScore('a.json', 10);
    await writeReportWithScore('b.json', 90);
    const { code, io } = await run(['gate', '--baseline', 'a.json', '--candidate', 'b.json', ...extra]);
    expect(code).toBe(2);
    expect(stderrLines(io)).toEqual([expect.stringMatching(/^privaudit: error: .*--max-rise/)]);
  });

  it('passes but notes it when the two audits ran different attacks', async () => {
    await writeReportWithScore('a.json', 30);
    await writeReportWithScore('b.json', 30, {
      config: { ...JSON.parse(await fs.readFile(DEMO_REPORT, 'utf8')).config, attacks: ['membership.loss'] },
    });
    const { code, io } = await run(['gate', '--baseline', 'a.json', '--candidate', 'b.json']);
    expect(code).toBe(0);
    expect(stderrLines(io)).toEqual([expect.stringMatching(/^privaudit: note: the audits ran different attacks/)]);
  });

  it('is a usage error without --candidate, and an input error (exit 1) for a baseline that is no report', async () => {
    await writeReportWithScore('b.json', 10);
    expect((await run(['gate', '--baseline', 'b.json'])).code).toBe(2);
    await fs.writeFile(path.join(dir, 'a.json'), '[]');
    const { code, io } = await run(['gate', '--baseline', 'a.json', '--candidate', 'b.json']);
    expect(code).toBe(1);
    expect(stderrLines(io)).toEqual([
      'privaudit: error: --baseline: a.json is not a privaudit report: expected a JSON object',
    ]);
  });
});

describe('privaudit audit --pdf --html', () => {
  it('writes the PDF and HTML beside the JSON report', async () => {
    const weights = tinyRandomMlp(3, { nFeatures: 4, hidden: [6], numClasses: 3, scale: 2 });
    await fs.writeFile(path.join(dir, 'model.onnx'), softmaxMlpOnnx(weights));
    const rows = (seed: number, prefix: string) => {
      const x = randomFeatures(seed, 40, 4);
      const logits = mlpForwardLogits(weights, x, 40);
      return Array.from({ length: 40 }, (_, r) => {
        const s = Array.from(logits.subarray(r * 3, r * 3 + 3));
        return [`${prefix}${r}`, ...Array.from(x.subarray(r * 4, r * 4 + 4)), s.indexOf(Math.max(...s))];
      });
    };
    const header = ['id', 'f0', 'f1', 'f2', 'f3', 'label'];
    await fs.writeFile(path.join(dir, 'members.csv'), csvText(header, rows(1, 'm')));
    await fs.writeFile(path.join(dir, 'nonmembers.csv'), csvText(header, rows(2, 'n')));
    const { code, io } = await run([
      'audit',
      '--model',
      'model.onnx',
      '--members',
      'members.csv',
      '--nonmembers',
      'nonmembers.csv',
      '--label',
      'label',
      '--id-column',
      'id',
      '--attacks',
      'membership.loss',
      '--out',
      'out/audit.json',
      '--pdf',
      'out/audit.pdf',
      '--html',
      'out/audit.html',
      '--quiet',
    ]);
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'audit.json'), 'utf8'));
    const text = pdfText(await fs.readFile(path.join(dir, 'out', 'audit.pdf'))).replace(/\s+/g, ' ');
    expect(text).toContain(report.target.sha256);
    expect(text).toContain('membership.loss - severity');
    expect(await fs.readFile(path.join(dir, 'out', 'audit.html'), 'utf8')).toContain(report.target.sha256);
    expect(io.stdout.join('')).toContain('Also written:');
  });

  it('refuses an unwritable --pdf before running the audit', async () => {
    await fs.mkdir(path.join(dir, 'docs'));
    // Not a model: the destinations are checked before the model is even read.
    await fs.writeFile(path.join(dir, 'model.onnx'), 'not read');
    const { code, io } = await run([
      'audit',
      '--model',
      'model.onnx',
      '--members',
      'report.json',
      '--nonmembers',
      'report.json',
      '--label',
      'label',
      '--out',
      'r.json',
      '--pdf',
      'docs',
    ]);
    expect(code).toBe(1);
    expect(stderrLines(io)).toEqual([
      'privaudit: error: --pdf docs is a directory; give a file name such as docs/report.pdf',
    ]);
    await expect(fs.access(path.join(dir, 'r.json'))).rejects.toThrow();
  });
});
