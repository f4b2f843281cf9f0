import { randomBytes } from 'node:crypto';
import { readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * "Now" by the clock that stamps the directory's modification times: the mtime of a probe file written there and
 * removed at once. Ages are then measured on one clock, the file system's, not this process's: a process whose
 * clock runs ahead (a skewed host sharing the volume, a container with a wrong clock) would otherwise see another
 * process's live entry as old and remove it. Falls back to this process's clock where nothing can be written.
 */
export async function fileSystemNow(dir: string): Promise<number> {
  const probe = join(dir, `.privaudit-clock-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
    try {
      return (await stat(probe)).mtimeMs;
    } finally {
      await unlink(probe).catch(() => undefined);
    }
  } catch {
    return Date.now();
  }
}

/**
 * Removes the entries of `dir` (files or directories) whose name starts with `prefix` and which nobody has modified
 * for `olderThanMs`: what a crash left behind (an upload cut off, a reference-model folder of a killed worker).
 * The age threshold must exceed the longest legitimate use, since another process may still own a younger entry.
 * Ages are measured on the file system's clock (fileSystemNow). Resolves with how many were removed; never throws
 * (cleaning up is best effort).
 */
export async function removeStaleEntries(dir: string, opts: { olderThanMs: number; prefix?: string }): Promise<number> {
  const cutoff = (await fileSystemNow(dir)) - opts.olderThanMs;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
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
