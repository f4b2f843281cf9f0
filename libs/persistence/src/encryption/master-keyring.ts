// The master key that wraps every data key (DATA_ENCRYPTION_KEY), and the previous ones still accepted while a
// rotation re-wraps the data keys (DATA_ENCRYPTION_PREVIOUS_KEYS). A master key is named by its key id: the first
// 16 hex digits of sha256("privaudit master key id" | key), which identifies it without revealing it.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SealedDataError } from './sealed-stream';

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAP_VERSION = 1;

export function masterKeyId(key: Buffer): string {
  return `mk-${createHash('sha256').update('privaudit master key id').update(key).digest('hex').slice(0, 16)}`;
}

export class DataEncryptionUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataEncryptionUnavailableError';
  }
}

export class MasterKeyring {
  readonly current: MasterKey | undefined;
  private readonly byId = new Map<string, MasterKey>();

  /** @param currentBase64 32 bytes, base64 (validated by libs/config); undefined = not configured. */
  constructor(currentBase64: string | undefined, previousBase64: readonly string[] = []) {
    for (const [i, b64] of [currentBase64, ...previousBase64].entries()) {
      if (b64 === undefined) continue;
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new DataEncryptionUnavailableError('a data encryption key must be 32 bytes');
      const entry = { id: masterKeyId(key), key };
      if (i === 0) (this as { current: MasterKey | undefined }).current = entry;
      if (!this.byId.has(entry.id)) this.byId.set(entry.id, entry);
    }
  }

  get configured(): boolean {
    return this.current !== undefined;
  }

  requireCurrent(): MasterKey {
    if (!this.current)
      throw new DataEncryptionUnavailableError(
        'DATA_ENCRYPTION_KEY is not set: datasets cannot be stored or read encrypted (docs/security.md)',
      );
    return this.current;
  }

  /**
   * Wraps a data key under the current master key, bound to the data key's id (a wrapped key copied onto another
   * row does not unwrap). Layout: version (1) | iv (12) | tag (16) | ciphertext (32).
   */
  wrap(dataKey: Buffer, dataKeyId: string): { wrapped: Buffer; masterKeyId: string } {
    const master = this.requireCurrent();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', master.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(dataKeyId));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return {
      wrapped: Buffer.concat([Buffer.from([WRAP_VERSION]), iv, cipher.getAuthTag(), body]),
      masterKeyId: master.id,
    };
  }

  unwrap(wrapped: Buffer, dataKeyId: string, wrappedUnder: string): Buffer {
    const master = this.byId.get(wrappedUnder);
    if (!master)
      throw new DataEncryptionUnavailableError(
        `data key ${dataKeyId} is wrapped under master key ${wrappedUnder}, which is neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_PREVIOUS_KEYS`,
      );
    if (wrapped.length !== 1 + IV_BYTES + TAG_BYTES + 32 || wrapped[0] !== WRAP_VERSION)
      throw new SealedDataError(`data key ${dataKeyId} has an unknown format`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, wrapped.subarray(1, 1 + IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aadOf(dataKeyId));
      decipher.setAuthTag(wrapped.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SealedDataError(`data key ${dataKeyId} does not unwrap under master key ${wrappedUnder} (tampered?)`);
    }
  }
}

function aadOf(dataKeyId: string): Buffer {
  return Buffer.from(`privaudit data key v1:${dataKeyId}`, 'utf8');
}
