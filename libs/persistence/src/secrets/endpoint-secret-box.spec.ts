import { randomBytes } from 'node:crypto';
import { EndpointSecretBox, SecretsUnavailableError } from './endpoint-secret-box';

describe('EndpointSecretBox (AES-256-GCM at rest)', () => {
  const key = randomBytes(32).toString('base64');
  const secrets = { headers: { authorization: 'Bearer sk-live-0123456789' }, query: '?api_key=abc123' };

  it('round-trips, never shows the value in the sealed text, and uses a fresh IV each time', () => {
    const box = new EndpointSecretBox(key);
    const a = box.seal(secrets, 'version-1');
    const b = box.seal(secrets, 'version-1');
    expect(a).toMatch(/^v1:[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain('sk-live');
    expect(Buffer.from(a.slice(3), 'base64').toString('latin1')).not.toContain('sk-live');
    expect(a).not.toBe(b);
    expect(box.open(a, 'version-1')).toEqual(secrets);
  });

  it('refuses another row id, another key and a tampered ciphertext, without quoting anything', () => {
    const box = new EndpointSecretBox(key);
    const sealed = box.seal(secrets, 'version-1');
    expect(() => box.open(sealed, 'version-2')).toThrow(SecretsUnavailableError);
    expect(() => new EndpointSecretBox(randomBytes(32).toString('base64')).open(sealed, 'version-1')).toThrow(
      /cannot be decrypted/,
    );
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'version-1')).toThrow(SecretsUnavailableError);
  });

  it('without a key says which variable to set', () => {
    const box = new EndpointSecretBox(undefined);
    expect(box.configured).toBe(false);
    expect(() => box.seal(secrets, 'v')).toThrow(/SECRETS_ENCRYPTION_KEY is not set/);
  });
});
