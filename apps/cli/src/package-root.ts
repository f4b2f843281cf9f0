// The CLI runs from source (tests) and from dist/ (the bin), at different depths: find the repository root
// by walking up to privaudit's package.json rather than counting '..'.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface PackageInfo {
  readonly root: string;
  readonly version: string;
}

let cached: PackageInfo | undefined;

export function privauditPackage(): PackageInfo {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'privaudit') return (cached = { root: dir, version: pkg.version ?? '0.0.0' });
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find privaudit's package.json above ${__dirname}`);
  }
}
