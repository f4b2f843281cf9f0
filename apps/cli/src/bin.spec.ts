// The installed entry point: bin/privaudit.js -> dist/apps/cli/src/main.js. The test script builds dist first.
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PENGUINS_SPEC, trainPenguinsTarget, writePenguinSplit } from '../../../test/fixtures/penguins';
import { privauditPackage } from './package-root';

const run = promisify(execFile);
const bin = path.join(privauditPackage().root, 'bin', 'privaudit.js');

/**
 * Runs the bin with the read end of its stdout pipe closed before it writes a byte, as `| head` does once it
 * has its lines: every write to stdout then fails with EPIPE. Collects stderr.
 */
function runWithStdoutClosed(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('bin/privaudit.js', () => {
  it('prints the version and exits 0', async () => {
    const { stdout, stderr } = await run(process.execPath, [bin, '--version']);
    expect(stdout.trim()).toBe(privauditPackage().version);
    expect(stderr).toBe('');
  });

  it('exits 2 with one error line for a bad command line', async () => {
    const failure = await run(process.execPath, [bin, 'audit', '--seed', 'abc']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/^privaudit: error: [^\n]+\n$/);
  });

  it('ends quietly with exit 0 when the reader of --help closes the pipe early (`privaudit audit --help | head -1`)', async () => {
    const { code, signal, stderr } = await runWithStdoutClosed(['audit', '--help']);
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('audits a raw table (string categories, NA cells) through --preprocessing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-bin-raw-'));
    try {
      await writePenguinSplit(dir, 2);
      await fs.writeFile(
        path.join(dir, 'penguins.onnx'),
        await trainPenguinsTarget(path.join(dir, 'members.csv'), 2, 60),
      );
      const args = [
        ...['audit', '--model', 'penguins.onnx', '--members', 'members.csv', '--nonmembers', 'nonmembers.csv'],
        ...[
          '--population',
          'population.csv',
          '--attacks',
          'membership.loss,membership.rmia',
          '--reference-models',
          '2',
        ],
        ...['--label', 'species', '--id-column', 'id', '--preprocessing', PENGUINS_SPEC, '--out', 'report.json', '-q'],
      ];
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: dir });
      expect(stderr).toBe('');
      expect(stdout).toContain('membership.rmia');
      const report = JSON.parse(await fs.readFile(path.join(dir, 'report.json'), 'utf8'));
      expect(report.data.preprocessing).toMatchObject({ name: 'penguins.preprocessing.json', features: 7, inputs: 15 });
      expect(report.data.population.rows).toBe(104);
      expect(report.findings.map((f: { attack: string }) => f.attack)).toEqual(['membership.loss', 'membership.rmia']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
