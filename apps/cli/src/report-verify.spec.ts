// `privaudit verify` and `--sign-key` as a user meets them: main() in-process on real files in a temp dir,
// keys made with node:crypto as `openssl genpkey -algorithm ed25519` makes them.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  csvText,
  mlpForwardLogits,
  randomFeatures,
  softmaxMlpOnnx,
  tinyRandomMlp,
} from '../../../test/fixtures/onnx-fixtures';
import { captureIo, type CapturedIo } from './cli-io';
import { EXIT_VERIFY_FAILED } from './cli-errors';
import { main } from './main';

jest.setTimeout(60_000);

const DEMO_REPORT = path.join(__dirname, '../../../test/fixtures/demo-report.json');

let dir: string;

async function writeKeyPair(name: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await fs.writeFile(path.join(dir, `${name}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await fs.writeFile(path.join(dir, `${name}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-verify-'));
  await fs.copyFile(DEMO_REPORT, path.join(dir, 'report.json'));
  await writeKeyPair('signing');
  await writeKeyPair('other');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; io: CapturedIo; err: string; out: string }> {
  const io = captureIo(dir);
  const code = await main(['node', 'privaudit', ...args], io);
  return { code, io, err: io.stderr.join(''), out: io.stdout.join('') };
}

/** Flips the lowest bit of one byte of a file, at `at` (a fraction of its length). */
async function flipByte(file: string, at: number): Promise<void> {
  const bytes = await fs.readFile(path.join(dir, file));
  bytes[Math.floor(bytes.length * at)] ^= 0x01;
  await fs.writeFile(path.join(dir, file), bytes);
}

function expectOneLineFailure(r: { code: number; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(EXIT_VERIFY_FAILED);
  expect(r.err).toMatch(/^privaudit: error: [^\n]+\n$/);
  expect(r.err).toMatch(pattern);
}

describe('privaudit audit --sign-key, then privaudit verify', () => {
  it('signs the report JSON and the PDF; verify passes, then fails on one flipped byte and under another key', async () => {
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
    const audit = await run([
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
      '--sign-key',
      'signing.pem',
      '--quiet',
    ]);
    expect(audit.err).toBe('');
    expect(audit.code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out/audit.json'), 'utf8'));
    expect(report.schemaVersion).toBe(1);
    expect(report.signature).toMatchObject({ algorithm: 'Ed25519', subject: 'report.json' });
    const sig = JSON.parse(await fs.readFile(path.join(dir, 'out/audit.pdf.sig'), 'utf8'));
    expect(sig).toMatchObject({ subject: 'report.pdf', reportSha256: report.signature.reportSha256 });

    const ok = await run(['verify', 'out/audit.json', '--public-key', 'signing.pub.pem']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`report sha256 ${report.signature.reportSha256}`);
    expect(ok.out).toContain('checked with the given public key');
    expect((await run(['verify', 'out/audit.pdf', '--public-key', 'signing.pub.pem'])).code).toBe(0);
    // Without --public-key the key inside the signature is used, and the output says it was not pinned.
    expect((await run(['verify', 'out/audit.pdf'])).out).toContain('not pinned');

    expectOneLineFailure(
      await run(['verify', 'out/audit.json', '--public-key', 'other.pub.pem']),
      /not by the given public key/,
    );
    expectOneLineFailure(await run(['verify', 'out/audit.pdf', '--public-key', 'other.pub.pem']), /not by the given/);

    await flipByte('out/audit.pdf', 0.5);
    expectOneLineFailure(await run(['verify', 'out/audit.pdf']), /out\/audit\.pdf was changed after signing/);
    // The first digit of the risk score in the JSON.
    const text = await fs.readFile(path.join(dir, 'out/audit.json'), 'utf8');
    const at = text.indexOf('"score": ', text.indexOf('"risk": {')) + '"score": '.length;
    const digit = text[at]!;
    await fs.writeFile(
      path.join(dir, 'out/audit.json'),
      text.slice(0, at) + String((Number(digit) + 1) % 10) + text.slice(at + 1),
    );
    expectOneLineFailure(await run(['verify', 'out/audit.json']), /out\/audit\.json was changed after signing/);
  });
});

describe('privaudit report --sign-key and verify', () => {
  it('writes detached signatures for PDF and HTML; verify finds them beside the document or by --signature', async () => {
    const r = await run(['report', 'report.json', '--pdf', 'r.pdf', '--html', 'r.html', '--sign-key', 'signing.pem']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((await run(['verify', 'r.pdf', '--public-key', 'signing.pub.pem'])).code).toBe(0);
    expect((await run(['verify', 'r.html', '--public-key', 'signing.pub.pem'])).code).toBe(0);
    await fs.rename(path.join(dir, 'r.pdf.sig'), path.join(dir, 'elsewhere.sig'));
    expectOneLineFailure(await run(['verify', 'r.pdf']), /no detached signature: r\.pdf\.sig not found/);
    expect((await run(['verify', 'r.pdf', '--signature', 'elsewhere.sig'])).code).toBe(0);
    // The HTML's signature does not vouch for the PDF.
    expectOneLineFailure(await run(['verify', 'r.pdf', '--signature', 'r.html.sig']), /changed after signing/);
    await flipByte('r.html', 0.3);
    expectOneLineFailure(await run(['verify', 'r.html']), /r\.html was changed after signing/);
  });

  it('refuses an unsigned report JSON (exit 4) and a bad key file (exit 1), each on one line', async () => {
    expectOneLineFailure(await run(['verify', 'report.json']), /report\.json is not signed/);
    await fs.writeFile(path.join(dir, 'bad.pem'), 'hello');
    const bad = await run(['report', 'report.json', '--pdf', 'r.pdf', '--sign-key', 'bad.pem']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^privaudit: error: --sign-key: bad\.pem is not a PEM private key[^\n]*\n$/);
    await expect(fs.stat(path.join(dir, 'r.pdf'))).rejects.toThrow();
    const missing = await run(['verify', 'report.json', '--public-key', 'nope.pem']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('--public-key: file not found: nope.pem');
  });
});
