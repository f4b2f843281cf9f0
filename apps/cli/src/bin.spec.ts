// The installed entry point: bin/privaudit.js -> dist/apps/cli/src/main.js. The test script builds dist first.
import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
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
});
