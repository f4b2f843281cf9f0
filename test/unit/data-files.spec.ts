// The datasets in data/ are exactly what data/README.md declares: every CSV is documented, and its size and
// sha256 match, so a corrupted, truncated or re-encoded copy (a checkout with CRLF line endings, an editor
// that re-saved it) fails here rather than as odd attack figures. The declared duplicate counts of the real
// tables are recounted from the bytes, since tests of duplicate handling rely on them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DATA_DIR } from '../fixtures/datasets';

interface DeclaredFile {
  sha256: string;
  sizeBytes: number;
}

/** Each `## <file>.csv` section's `| sha256 |` and `| size |` table rows. */
function declaredFiles(readme: string): Map<string, DeclaredFile> {
  const declared = new Map<string, DeclaredFile>();
  for (const section of readme.split(/^## /m).slice(1)) {
    const file = /^(\S+\.csv)\s*$/m.exec(section.split('\n')[0] ?? '')?.[1];
    if (file === undefined) continue;
    const sha256 = /^\|\s*sha256\s*\|\s*`([0-9a-f]{64})`/m.exec(section)?.[1];
    const size = /^\|\s*size\s*\|\s*(\d+) bytes/m.exec(section)?.[1];
    if (sha256 === undefined || size === undefined)
      throw new Error(`data/README.md: ${file} lacks a sha256 or size row`);
    declared.set(file, { sha256, sizeBytes: Number(size) });
  }
  return declared;
}

const declared = declaredFiles(readFileSync(path.join(DATA_DIR, 'README.md'), 'utf8'));
const shipped = readdirSync(DATA_DIR)
  .filter((f) => f.endsWith('.csv'))
  .sort();

/** Data lines of a CSV without quoted fields, minus the columns named in `drop`. */
function records(file: string, drop: readonly string[] = []): string[] {
  const text = readFileSync(path.join(DATA_DIR, file), 'utf8');
  expect(text).not.toContain('"');
  const [header, ...lines] = text.split('\n');
  expect(lines.pop()).toBe(''); // ends in exactly one \n
  const keep = (header ?? '').split(',').map((name) => !drop.includes(name));
  return lines.map((line) =>
    line
      .split(',')
      .filter((_, j) => keep[j])
      .join(','),
  );
}

function duplicateCounts(rows: readonly string[]): { groups: number; rowsWithTwin: number; repeats: number } {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row, (counts.get(row) ?? 0) + 1);
  const sizes = [...counts.values()].filter((n) => n > 1);
  return {
    groups: sizes.length,
    rowsWithTwin: sizes.reduce((a, n) => a + n, 0),
    repeats: sizes.reduce((a, n) => a + n - 1, 0),
  };
}

describe('data/', () => {
  it('documents every shipped CSV in data/README.md, and ships every documented one', () => {
    expect(shipped).toEqual([...declared.keys()].sort());
    expect(shipped).toEqual(
      expect.arrayContaining(['digits.csv', 'satellite.csv', 'letter.csv', 'house_votes_84.csv']),
    );
  });

  it.each(shipped)('%s has the size and sha256 data/README.md declares', (file) => {
    const bytes = readFileSync(path.join(DATA_DIR, file));
    const want = declared.get(file);
    expect({ file, sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({
      file,
      ...want,
    });
  });

  it('holds the duplicate records data/README.md declares for the real tables', () => {
    expect(duplicateCounts(records('letter.csv'))).toEqual({ groups: 845, rowsWithTwin: 2177, repeats: 1332 });
    expect(duplicateCounts(records('house_votes_84.csv'))).toEqual({ groups: 38, rowsWithTwin: 131, repeats: 93 });
    expect(duplicateCounts(records('breast_cancer_original.csv', ['Id']))).toEqual({
      groups: 48,
      rowsWithTwin: 284,
      repeats: 236,
    });
    // None of the other shipped datasets has any: the reason the three above were added.
    for (const file of ['digits.csv', 'satellite.csv', 'breast_cancer.csv', 'penguins.csv'])
      expect(duplicateCounts(records(file)).groups).toBe(0);
  });
});
