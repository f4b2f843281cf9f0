// The installed entry point: bin/privaudit.js -> dist/apps/cli/src/main.js. The test script builds dist first.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { privauditPackage } from './package-root';

const run = promisify(execFile);
const bin = path.join(privauditPackage().root, 'bin', 'privaudit.js');

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
});
