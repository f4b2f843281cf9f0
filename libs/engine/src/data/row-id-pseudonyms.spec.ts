import { EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';
import {
  parsePseudonymKey,
  pseudonymizeRowIds,
  pseudonymKeyId,
  pseudonymOf,
  PSEUDONYM_PREFIX,
} from './row-id-pseudonyms';

// Key 00 01 02 ... 1f. Expected values computed outside this code:
//   printf '%s' 'alice@example.com' | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
//   python3: hmac.new(bytes(range(32)), id.encode(), hashlib.sha256).hexdigest()[:32]
//   python3: hashlib.sha256(b'privaudit pseudonym key id\n' + key).hexdigest()[:16]
const KEY_HEX = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex');
const KEY = Buffer.from(KEY_HEX, 'hex');

describe('row id pseudonyms', () => {
  it('is "ps_" + the first 32 hex digits of HMAC-SHA256(key, utf-8 id) (known answers)', () => {
    expect(pseudonymOf(KEY, 'alice@example.com')).toBe('ps_a59fc578d4cb46faab1d6eb348e7c74b');
    expect(pseudonymOf(KEY, 'Zoë Ñúñez')).toBe('ps_bddb80f65d6d40ca258f6203b231e6a1');
  });

  it('names the key by a hash that is not the key, and differs between keys', () => {
    expect(pseudonymKeyId(KEY)).toBe('psk_774f6e9462c292c0');
    const other = Buffer.alloc(32, 7);
    expect(pseudonymKeyId(other)).not.toBe(pseudonymKeyId(KEY));
    expect(pseudonymOf(other, 'alice@example.com')).not.toBe(pseudonymOf(KEY, 'alice@example.com'));
  });

  it('parses a hex key file (whitespace ignored) and refuses short or non-hex keys without echoing them', () => {
    expect(parsePseudonymKey(`  ${KEY_HEX}\n`, 'tenant.key').equals(KEY)).toBe(true);
    const short = 'ab'.repeat(31);
    expect(() => parsePseudonymKey(short, 'tenant.key')).toThrow(/tenant\.key: .*at least 32 bytes .*it has 31/);
    const notHex = 'secret-passphrase-'.repeat(5);
    try {
      parsePseudonymKey(notHex, 'tenant.key');
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as { code?: string }).code).toBe(EngineErrorCode.InvalidOption);
      expect((e as Error).message).toMatch(/hexadecimal/);
      expect((e as Error).message).not.toContain('passphrase');
    }
    expect(() => pseudonymOf(Buffer.alloc(16), 'x')).toThrow(/at least 32 bytes/);
  });

  it('replaces every row id of a dataset and nothing else', () => {
    const ds: LabeledDataset = {
      featureNames: ['a'],
      nRows: 2,
      nFeatures: 1,
      features: Float32Array.from([1, 2]),
      labels: Int32Array.from([0, 1]),
      rowIds: ['alice@example.com', 'bob@example.com'],
      sha256: 'x',
      groups: ['f', 'm'],
    };
    const out = pseudonymizeRowIds(ds, KEY);
    expect(out.rowIds).toEqual([pseudonymOf(KEY, 'alice@example.com'), pseudonymOf(KEY, 'bob@example.com')]);
    expect(out.rowIds.every((id) => id.startsWith(PSEUDONYM_PREFIX) && id.length === 35)).toBe(true);
    expect(out.features).toBe(ds.features);
    expect(out.groups).toEqual(['f', 'm']);
    expect(ds.rowIds[0]).toBe('alice@example.com');
  });
});
