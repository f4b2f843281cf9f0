// Auth secrets of remote endpoints at rest: AES-256-GCM (node:crypto) under SECRETS_ENCRYPTION_KEY, a fresh
// 96-bit IV per message, the model version's id as additional authenticated data (a ciphertext copied onto
// another row does not decrypt). The api encrypts at registration; only the worker decrypts, just before an
// audit, and hands the values to its child process over IPC. Nothing here logs or echoes a value.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What is kept secret of an endpoint: its auth header values and its URL's query string (may hold an API key). */
export interface EndpointSecrets {
  readonly headers: Readonly<Record<string, string>>;
  /** The URL's search part including '?', or '' when it has none. */
  readonly query: string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretsUnavailableError';
  }
}

export class EndpointSecretBox {
  private readonly key: Buffer | undefined;

  /** @param keyBase64 32 bytes, base64 (validated by libs/config); undefined = no key configured. */
  constructor(keyBase64: string | undefined) {
    this.key = keyBase64 !== undefined ? Buffer.from(keyBase64, 'base64') : undefined;
    if (this.key !== undefined && this.key.length !== 32)
      throw new SecretsUnavailableError('SECRETS_ENCRYPTION_KEY must be 32 bytes');
  }

  get configured(): boolean {
    return this.key !== undefined;
  }

  /** `v1:<base64 iv | tag | ciphertext>` of the secrets' JSON, bound to `boundTo` (the model version id). */
  seal(secrets: EndpointSecrets, boundTo: string): string {
    return this.sealText(JSON.stringify(secrets), boundTo);
  }

  open(sealed: string, boundTo: string): EndpointSecrets {
    const parsed = JSON.parse(this.openText(sealed, boundTo)) as EndpointSecrets;
    return { headers: { ...parsed.headers }, query: parsed.query };
  }

  /** Any secret text (a notification signing secret), sealed the same way and bound to `boundTo` (its row's id). */
  sealText(text: string, boundTo: string): string {
    const key = this.requireKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  openText(sealed: string, boundTo: string): string {
    const key = this.requireKey();
    const [version, payload] = sealed.split(':', 2);
    if (version !== VERSION || payload === undefined)
      throw new SecretsUnavailableError('the stored endpoint secrets have an unknown format');
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES)
      throw new SecretsUnavailableError('the stored endpoint secrets are truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      // Wrong key (rotated without re-encrypting), or the row was tampered with: say so, nothing more.
      throw new SecretsUnavailableError(
        'the endpoint secrets cannot be decrypted with the configured SECRETS_ENCRYPTION_KEY (was the key changed?)',
      );
    }
  }

  private requireKey(): Buffer {
    if (this.key === undefined)
      throw new SecretsUnavailableError(
        'SECRETS_ENCRYPTION_KEY is not set: endpoint auth secrets and notification signing secrets cannot be stored or read (docs/service.md)',
      );
    return this.key;
  }
}
