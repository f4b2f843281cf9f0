import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Generated keys are "pa_" + 48 base64url characters (288 random bits). The first 12 characters are stored
// in clear for lookup; the whole key only as sha256 — enough for a high-entropy random secret, where a slow
// password hash would add latency to every request without adding security. A bootstrap key chosen by an
// operator may be any 32-512 URL-safe characters.
const KEY_PATTERN = /^[A-Za-z0-9_\-.~]{32,512}$/;
const PREFIX_LENGTH = 12;

export function generateApiKey(): string {
  return `pa_${randomBytes(36).toString('base64url')}`;
}

export function apiKeyPrefix(key: string): string | null {
  return KEY_PATTERN.test(key) ? key.slice(0, PREFIX_LENGTH) : null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  return apiKeyHashMatches(hashApiKey(key), storedHash);
}

/** As apiKeyMatches, given the presented key's hashApiKey (computed once per request). */
export function apiKeyHashMatches(keyHash: string, storedHash: string): boolean {
  const a = Buffer.from(keyHash, 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
