// The benchmarks read the datasets that ship with the repository in data/ (sources, licences and sha256 in
// data/README.md), so they run on a fresh clone with nothing beside it.
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** data/ of this repository, whether this file runs from bench/ (source) or dist/bench/ (built). */
export function benchDataDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'data'), path.resolve(__dirname, '..', '..', 'data')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'digits.csv')));
  if (found === undefined)
    throw new Error(`data/ with the benchmark datasets not found (looked in ${candidates.join(', ')})`);
  return found;
}
