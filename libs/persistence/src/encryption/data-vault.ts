// Datasets and the reference models derived from them, sealed at rest (docs/security.md, "Data at rest"): each
// dataset gets its own random AES-256 data key, stored only wrapped by the master key; its file is sealed under it
// (sealed-stream.ts) and kept in the blob store under the sealed file's sha256; reference-model weights are sealed
// under the key of the members dataset they were derived from. Decrypted copies exist only where a caller asks
// for them (the worker: inside the model process's scratch directory), and only once fully verified.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../blob-store/blob-store';
import { DataKeyRepository } from '../repositories/data-key.repository';
import { MasterKeyring } from './master-keyring';
import { openSealedBuffer, openSealedFile, sealBuffer, SealedDataError, sealFile } from './sealed-stream';

/** Where a dataset's bytes are: sealed under `keyId` at blob `blobSha256`, or (stored before encryption) plain. */
export interface StoredDataFile {
  /** The plaintext's sha256 (what reports name). */
  readonly sha256: string;
  readonly keyId: string | null;
  readonly blobSha256: string | null;
}

export class DataVault {
  constructor(
    private readonly keyring: MasterKeyring,
    private readonly keys: DataKeyRepository,
    private readonly blobs: BlobStore,
  ) {}

  get configured(): boolean {
    return this.keyring.configured;
  }

  /** A new data key, stored wrapped; resolves with its id and the plain key (kept in memory only). */
  async createKey(): Promise<{ keyId: string; key: Buffer }> {
    const keyId = randomUUID();
    const key = randomBytes(32);
    const { wrapped, masterKeyId } = this.keyring.wrap(key, keyId);
    await this.keys.create({ id: keyId, wrappedKey: wrapped, masterKeyId });
    return { keyId, key };
  }

  /**
   * Stores a key the caller chose (32 bytes: a tenant's pseudonym key) as a data key, wrapped like any other, so
   * rotation of the master key re-wraps it too; resolves with its id. The plain key stays in the caller's memory.
   */
  async storeKey(key: Buffer): Promise<string> {
    if (key.length !== 32) throw new SealedDataError('a stored key must be 32 bytes');
    const keyId = randomUUID();
    const { wrapped, masterKeyId } = this.keyring.wrap(key, keyId);
    await this.keys.create({ id: keyId, wrappedKey: wrapped, masterKeyId });
    return keyId;
  }

  /** Seals a plaintext file (a validated upload) under a new data key into the blob store. */
  async sealNewFile(plainPath: string): Promise<{ keyId: string; blobSha256: string }> {
    this.keyring.requireCurrent();
    const { keyId, key } = await this.createKey();
    const staging = join(this.blobs.tempDir(), `sealed-${randomUUID()}`);
    try {
      await sealFile(plainPath, staging, key);
      const blobSha256 = await sha256Of(staging);
      await this.blobs.adopt(staging, blobSha256);
      return { keyId, blobSha256 };
    } finally {
      await rm(staging, { force: true });
    }
  }

  /** Writes the dataset's plaintext to `target` (verified in full before it appears there). */
  async openFile(file: StoredDataFile, target: string, what: string): Promise<void> {
    if (file.keyId === null || file.blobSha256 === null) {
      // Stored before encryption at rest: the blob is the plaintext.
      await openPlain(this.blobs.localPath(file.sha256), target);
      return;
    }
    const key = await this.dataKey(file.keyId, what);
    await openSealedFile(this.blobs.localPath(file.blobSha256), target, key, what);
  }

  /**
   * Runs `fn` with the plaintext of these datasets in a private temporary directory (mode 0700, under the blob
   * store's temp dir so a crash leaves it to the stale-temp sweep), removed afterwards whatever happens.
   */
  async withPlaintext<T>(
    files: ReadonlyArray<StoredDataFile & { readonly name: string }>,
    fn: (paths: string[]) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(this.blobs.tempDir(), 'opened-'));
    try {
      const paths: string[] = [];
      for (const [i, f] of files.entries()) {
        const path = join(dir, `${i}.csv`);
        await this.openFile(f, path, `the stored file of dataset '${f.name}'`);
        paths.push(path);
      }
      return await fn(paths);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The blob id of the stored bytes (sealed or plain), to check they are present or remove them. */
  blobOf(file: StoredDataFile): string {
    return file.blobSha256 ?? file.sha256;
  }

  sealWeights(weights: Buffer, key: Buffer): Buffer {
    return sealBuffer(weights, key);
  }

  async openWeights(sealed: Buffer, keyId: string, what: string): Promise<Buffer> {
    return openSealedBuffer(sealed, await this.dataKey(keyId, what), what);
  }

  /** The plain data key, unwrapped under the master key that wrapped it. */
  async dataKey(keyId: string, what: string): Promise<Buffer> {
    const stored = await this.keys.find(keyId);
    if (!stored) throw new SealedDataError(`${what}: its data key ${keyId} does not exist`);
    if (stored.wrappedKey === null)
      throw new SealedDataError(`${what}: its data key ${keyId} was destroyed (the data was deleted)`);
    return this.keyring.unwrap(stored.wrappedKey, keyId, stored.masterKeyId);
  }

  /**
   * Re-wraps every data key not wrapped under the current master key (rotation). Keys wrapped under a master key
   * that is no longer configured are counted as unreadable, never changed. Resolves with the counts.
   */
  async rewrapAll(batch = 100): Promise<{ rewrapped: number; unreadable: number }> {
    const current = this.keyring.requireCurrent();
    let rewrapped = 0;
    let unreadable = 0;
    const skipped = new Set<string>();
    for (;;) {
      const keys = (await this.keys.listWrappedUnderOther(current.id, batch + skipped.size)).filter(
        (k) => !skipped.has(k.id),
      );
      if (keys.length === 0) break;
      for (const k of keys) {
        let plain: Buffer;
        try {
          plain = this.keyring.unwrap(k.wrappedKey as Buffer, k.id, k.masterKeyId);
        } catch {
          skipped.add(k.id);
          unreadable++;
          continue;
        }
        const to = this.keyring.wrap(plain, k.id);
        if (await this.keys.rewrap(k.id, k.masterKeyId, { wrappedKey: to.wrapped, masterKeyId: to.masterKeyId }))
          rewrapped++;
      }
    }
    return { rewrapped, unreadable };
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function openPlain(source: string, target: string): Promise<void> {
  await copyFile(source, target);
  await chmod(target, 0o600);
}
