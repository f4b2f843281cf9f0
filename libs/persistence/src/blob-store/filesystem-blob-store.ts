import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { access, chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BlobStore } from './blob-store';
import { fileSystemNow, removeStaleEntries } from './stale-files';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Blobs at <root>/blobs/ab/abcdef... ; temp uploads at <root>/tmp (same filesystem, so adopt is a rename). */
export class FilesystemBlobStore extends BlobStore {
  private readonly root: string;
  constructor(root: string) {
    super();
    this.root = resolve(root);
    mkdirSync(join(this.root, 'blobs'), { recursive: true });
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
  }

  async adopt(tempPath: string, sha256: string): Promise<void> {
    const target = this.localPath(sha256);
    if (await this.exists(sha256)) {
      await rm(tempPath, { force: true });
      return;
    }
    await mkdir(join(target, '..'), { recursive: true });
    // Write under a unique name then rename: a reader never sees a half-written blob.
    const staging = `${target}.${randomUUID()}.part`;
    await rename(tempPath, staging);
    await chmod(staging, 0o440);
    await rename(staging, target);
  }

  localPath(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error('blob id must be a lower-case sha256 hex digest');
    return join(this.root, 'blobs', sha256.slice(0, 2), sha256);
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await access(this.localPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async remove(sha256: string): Promise<boolean> {
    const existed = await this.exists(sha256);
    await rm(this.localPath(sha256), { force: true });
    return existed;
  }

  async *list(): AsyncIterable<{ sha256: string; modifiedMs: number }> {
    const root = join(this.root, 'blobs');
    for (const prefix of await readdir(root)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      let names: string[];
      try {
        names = await readdir(join(root, prefix));
      } catch {
        continue;
      }
      for (const name of names) {
        // Staging files (<sha>.<uuid>.part) and anything foreign are not blobs.
        if (!SHA256_HEX.test(name) || !name.startsWith(prefix)) continue;
        try {
          const st = await lstat(join(root, prefix, name));
          if (st.isFile()) yield { sha256: name, modifiedMs: st.mtimeMs };
        } catch {
          // Removed meanwhile.
        }
      }
    }
  }

  now(): Promise<number> {
    return fileSystemNow(join(this.root, 'blobs'));
  }

  tempDir(): string {
    return join(this.root, 'tmp');
  }

  removeStaleTemp(olderThanMs: number): Promise<number> {
    return removeStaleEntries(this.tempDir(), { olderThanMs });
  }
}
