// Files at rest, sealed with AES-256-GCM in chunks (the STREAM construction of Hoang, Reyhanitabar, Rogaway and
// Vizár, CRYPTO 2015): a large dataset is encrypted and decrypted in constant memory, and every chunk is
// authenticated before one of its bytes is released.
//
// Layout: header | chunk* where
//   header = "PAS1" | chunk size (uint32 BE) | salt (16 random bytes)                               (24 bytes)
//   chunk  = AES-256-GCM(fileKey, nonce, plaintext <= chunk size, aad = header) | tag (16 bytes)
//   fileKey = HKDF-SHA256(dataKey, salt, "privaudit sealed file v1"): a fresh key per file, so one data key can
//             seal many files (a dataset, its reference models) without nonce reuse;
//   nonce  = 0x000000 | chunk index (uint64 BE) | final flag (0x01 on the last chunk, else 0x00).
// The last chunk always holds fewer plaintext bytes than the chunk size (possibly none), so a file cut at a chunk
// boundary has no final chunk and is refused, a reordered or dropped chunk fails its tag (the index is in the
// nonce), and bytes appended after the final chunk are refused.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MAGIC = Buffer.from('PAS1', 'ascii');
const HEADER_BYTES = 24;
const TAG_BYTES = 16;
const SALT_BYTES = 16;
export const SEALED_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/** A sealed file or buffer that does not open: modified, truncated, or sealed under another key. Never quotes data. */
export class SealedDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedDataError';
  }
}

function fileKey(dataKey: Buffer, salt: Buffer): Buffer {
  if (dataKey.length !== 32) throw new Error('a data key is 32 bytes');
  return Buffer.from(hkdfSync('sha256', dataKey, salt, 'privaudit sealed file v1', 32));
}

function headerOf(chunkBytes: number, salt: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(chunkBytes, 4);
  salt.copy(header, 8);
  return header;
}

function readHeader(header: Buffer, dataKey: Buffer, what: string): { key: Buffer; recordBytes: number } {
  if (!header.subarray(0, 4).equals(MAGIC)) throw new SealedDataError(`${what} is not a sealed file`);
  const chunkBytes = header.readUInt32BE(4);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new SealedDataError(`${what} has an invalid chunk size`);
  return { key: fileKey(dataKey, header.subarray(8, 8 + SALT_BYTES)), recordBytes: chunkBytes + TAG_BYTES };
}

function nonce(index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 3);
  n[11] = final ? 1 : 0;
  return n;
}

function sealChunk(key: Buffer, header: Buffer, index: number, final: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce(index, final), { authTagLength: TAG_BYTES });
  cipher.setAAD(header);
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function openChunk(key: Buffer, header: Buffer, index: number, final: boolean, sealed: Buffer, what: string): Buffer {
  if (sealed.length < TAG_BYTES) throw new SealedDataError(`${what} is truncated`);
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce(index, final), { authTagLength: TAG_BYTES });
  decipher.setAAD(header);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SealedDataError(
      `${what} failed its integrity check (chunk ${index}): it was modified, truncated or sealed under another key`,
    );
  }
}

/** Encrypts a byte stream chunk by chunk. */
export class SealingTransform extends Transform {
  private readonly header: Buffer;
  private readonly key: Buffer;
  private pending: Buffer = Buffer.alloc(0);
  private index = 0;

  constructor(
    dataKey: Buffer,
    private readonly chunkBytes = SEALED_CHUNK_BYTES,
  ) {
    super();
    const salt = randomBytes(SALT_BYTES);
    this.header = headerOf(chunkBytes, salt);
    this.key = fileKey(dataKey, salt);
    this.push(this.header);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    // Keep at least one byte back: the last chunk must be sealed as final, and only the end says which one that is.
    while (this.pending.length > this.chunkBytes) {
      this.push(sealChunk(this.key, this.header, this.index++, false, this.pending.subarray(0, this.chunkBytes)));
      this.pending = this.pending.subarray(this.chunkBytes);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length === this.chunkBytes) {
      this.push(sealChunk(this.key, this.header, this.index++, false, this.pending));
      this.pending = Buffer.alloc(0);
    }
    this.push(sealChunk(this.key, this.header, this.index++, true, this.pending));
    done();
  }
}

/** Decrypts what SealingTransform wrote; each chunk's plaintext is pushed only after its tag verified. */
export class OpeningTransform extends Transform {
  private header: Buffer | undefined;
  private key: Buffer | undefined;
  private recordBytes = 0;
  private pending: Buffer = Buffer.alloc(0);
  private index = 0;

  constructor(
    private readonly dataKey: Buffer,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      if (!this.header) {
        if (this.pending.length < HEADER_BYTES) return done();
        this.readHeader(this.pending.subarray(0, HEADER_BYTES));
        this.pending = this.pending.subarray(HEADER_BYTES);
      }
      // A full record followed by more bytes cannot be the final one.
      while (this.pending.length > this.recordBytes) {
        const record = this.pending.subarray(0, this.recordBytes);
        this.push(openChunk(this.key!, this.header!, this.index++, false, record, this.what));
        this.pending = this.pending.subarray(this.recordBytes);
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.header) throw new SealedDataError(`${this.what} is truncated (no header)`);
      if (this.pending.length === this.recordBytes)
        throw new SealedDataError(`${this.what} is truncated (its final chunk is missing)`);
      this.push(openChunk(this.key!, this.header, this.index++, true, this.pending, this.what));
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  private readHeader(header: Buffer): void {
    const read = readHeader(header, this.dataKey, this.what);
    this.header = Buffer.from(header);
    this.recordBytes = read.recordBytes;
    this.key = read.key;
  }
}

/** Seals `source` into `target`. */
export async function sealFile(source: string, target: string, dataKey: Buffer): Promise<void> {
  await pipeline(createReadStream(source), new SealingTransform(dataKey), createWriteStream(target, { mode: 0o600 }));
}

/**
 * Opens a sealed file into `target`. Written beside it first and renamed only once the final chunk verified, so no
 * reader ever sees bytes of a file that turns out to be tampered with or truncated.
 */
export async function openSealedFile(source: string, target: string, dataKey: Buffer, what: string): Promise<void> {
  const part = `${target}.part`;
  try {
    await pipeline(
      createReadStream(source),
      new OpeningTransform(dataKey, what),
      createWriteStream(part, { mode: 0o600 }),
    );
    await rename(part, target);
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  }
}

/** A small payload (reference-model weights) sealed in memory, same format. */
export function sealBuffer(plain: Buffer, dataKey: Buffer, chunkBytes = SEALED_CHUNK_BYTES): Buffer {
  const salt = randomBytes(SALT_BYTES);
  const header = headerOf(chunkBytes, salt);
  const key = fileKey(dataKey, salt);
  const out = [header];
  let index = 0;
  let offset = 0;
  while (plain.length - offset >= chunkBytes) {
    out.push(sealChunk(key, header, index++, false, plain.subarray(offset, offset + chunkBytes)));
    offset += chunkBytes;
  }
  out.push(sealChunk(key, header, index, true, plain.subarray(offset)));
  return Buffer.concat(out);
}

export function openSealedBuffer(sealed: Buffer, dataKey: Buffer, what: string): Buffer {
  if (sealed.length < HEADER_BYTES) throw new SealedDataError(`${what} is truncated (no header)`);
  const header = sealed.subarray(0, HEADER_BYTES);
  const { key, recordBytes } = readHeader(header, dataKey, what);
  const out: Buffer[] = [];
  let index = 0;
  let offset = HEADER_BYTES;
  while (sealed.length - offset > recordBytes) {
    out.push(openChunk(key, header, index++, false, sealed.subarray(offset, offset + recordBytes), what));
    offset += recordBytes;
  }
  if (sealed.length - offset === recordBytes)
    throw new SealedDataError(`${what} is truncated (its final chunk is missing)`);
  out.push(openChunk(key, header, index, true, sealed.subarray(offset), what));
  return Buffer.concat(out);
}
