import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes the entries of `dir` (files or directories) whose name starts with `prefix` and which nobody has modified
 * for `olderThanMs`: what a crash left behind (an upload cut off, a reference-model folder of a killed worker).
 * The age threshold must exceed the longest legitimate use, since another process may still own a younger entry.
 * Resolves with how many were removed; never throws (cleaning up is best effort).
 */
export async function removeStaleEntries(dir: string, opts: { olderThanMs: number; prefix?: string }): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const cutoff = Date.now() - opts.olderThanMs;
  let removed = 0;
  for (const name of names) {
    if (opts.prefix !== undefined && !name.startsWith(opts.prefix)) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).mtimeMs >= cutoff) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
