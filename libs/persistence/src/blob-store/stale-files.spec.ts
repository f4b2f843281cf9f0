import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemNow, removeStaleEntries } from './stale-files';

describe('removeStaleEntries', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'privaudit-stale-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes what a crash left (files and folders untouched past the age), keeps fresh and foreign entries', async () => {
    const old = (Date.now() - 3 * 3_600_000) / 1000;
    writeFileSync(join(dir, 'upload-old'), 'x');
    utimesSync(join(dir, 'upload-old'), old, old);
    mkdirSync(join(dir, 'privaudit-reference-models-old'));
    writeFileSync(join(dir, 'privaudit-reference-models-old', 'm.bin'), 'w');
    utimesSync(join(dir, 'privaudit-reference-models-old'), old, old);
    mkdirSync(join(dir, 'privaudit-reference-models-live'));
    writeFileSync(join(dir, 'someone-elses-old-file'), 'y');
    utimesSync(join(dir, 'someone-elses-old-file'), old, old);

    expect(await removeStaleEntries(dir, { olderThanMs: 3_600_000, prefix: 'privaudit-reference-models-' })).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([
      'privaudit-reference-models-live',
      'someone-elses-old-file',
      'upload-old',
    ]);
    expect(await removeStaleEntries(join(dir, 'missing'), { olderThanMs: 0 })).toBe(0);
    expect(await removeStaleEntries(dir, { olderThanMs: 3_600_000 })).toBe(2); // no prefix: every stale entry
    expect(readdirSync(dir)).toEqual(['privaudit-reference-models-live']);
  });
});

describe('fileSystemNow', () => {
  it("reads the directory's clock from a probe it removes again, and falls back to the process clock", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'privaudit-fsnow-spec-'));
    try {
      const before = Date.now();
      const now = await fileSystemNow(dir);
      // Same host, one kernel clock: the probe's mtime lies within the call (coarse file-system timestamps aside).
      expect(now).toBeGreaterThan(before - 1000);
      expect(now).toBeLessThan(Date.now() + 1000);
      expect(readdirSync(dir)).toEqual([]);
      const missing = join(dir, 'missing');
      const fallback = await fileSystemNow(missing);
      expect(Math.abs(fallback - Date.now())).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
