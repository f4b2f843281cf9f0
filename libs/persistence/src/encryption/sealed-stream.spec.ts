import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import {
  openSealedBuffer,
  openSealedFile,
  OpeningTransform,
  sealBuffer,
  SealedDataError,
  sealFile,
  SealingTransform,
} from './sealed-stream';
import { MasterKeyring, masterKeyId } from './master-keyring';

const CSV = 'passenger_id,age,fare,survived\n1,22,7.25,0\n2,38,71.28,1\n';

async function roundTrip(plain: Buffer, key: Buffer, chunk: number): Promise<{ sealed: Buffer; opened: Buffer }> {
  const sealedParts: Buffer[] = [];
  await pipeline(
    Readable.from([plain]),
    new SealingTransform(key, chunk),
    new Writable({ write: (c: Buffer, _e, done) => (sealedParts.push(c), done()) }),
  );
  const sealed = Buffer.concat(sealedParts);
  const openedParts: Buffer[] = [];
  // Fed in odd-sized pieces, as a file stream would.
  const pieces = [];
  for (let i = 0; i < sealed.length; i += 7) pieces.push(sealed.subarray(i, i + 7));
  await pipeline(
    Readable.from(pieces),
    new OpeningTransform(key, 'test file'),
    new Writable({ write: (c: Buffer, _e, done) => (openedParts.push(c), done()) }),
  );
  return { sealed, opened: Buffer.concat(openedParts) };
}

describe('sealed files (chunked AES-256-GCM)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sealed-stream-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const key = randomBytes(32);

  it.each([0, 1, 15, 16, 17, 32, 100])('round-trips %i bytes with 16-byte chunks', async (n) => {
    const plain = randomBytes(n);
    const { opened, sealed } = await roundTrip(plain, key, 16);
    expect(opened.equals(plain)).toBe(true);
    expect(openSealedBuffer(sealed, key, 'b').equals(plain)).toBe(true);
    expect(openSealedBuffer(sealBuffer(plain, key, 16), key, 'b').equals(plain)).toBe(true);
  });

  it('writes no plaintext to disk, and a fresh salt makes two seals of one file differ', async () => {
    const plain = join(dir, 'members.csv');
    writeFileSync(plain, CSV);
    await sealFile(plain, join(dir, 'a.sealed'), key);
    await sealFile(plain, join(dir, 'b.sealed'), key);
    const a = readFileSync(join(dir, 'a.sealed'));
    expect(a.includes(Buffer.from('passenger_id'))).toBe(false);
    expect(a.includes(Buffer.from('71.28'))).toBe(false);
    expect(a.equals(readFileSync(join(dir, 'b.sealed')))).toBe(false);
    await openSealedFile(join(dir, 'a.sealed'), join(dir, 'opened.csv'), key, 'dataset members');
    expect(readFileSync(join(dir, 'opened.csv'), 'utf8')).toBe(CSV);
  });

  const tampered: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
    ['one flipped ciphertext bit', (b) => flip(b, 30), /failed its integrity check \(chunk 0\)/],
    ['one flipped header bit (the salt)', (b) => flip(b, 10), /failed its integrity check/],
    ['the final chunk cut off', (b) => b.subarray(0, 24 + 32), /final chunk is missing/],
    ['a byte appended', (b) => Buffer.concat([b, Buffer.from([0])]), /failed its integrity check/],
    ['chunks swapped', (b) => swapChunks(b, 32), /failed its integrity check \(chunk 0\)/],
    ['not a sealed file', () => Buffer.from(CSV), /is not a sealed file/],
  ];
  it.each(tampered)('refuses %s with a clear error and writes nothing', async (_what, change, message) => {
    const sealed = sealBuffer(Buffer.from(CSV.repeat(3)), key, 16);
    const bad = change(sealed);
    expect(() => openSealedBuffer(bad, key, 'dataset members')).toThrow(message);
    writeFileSync(join(dir, 'bad.sealed'), bad);
    const target = join(dir, 'out.csv');
    await expect(openSealedFile(join(dir, 'bad.sealed'), target, key, 'dataset members')).rejects.toThrow(
      SealedDataError,
    );
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.part`)).toBe(false);
  });

  it('refuses another data key', () => {
    const sealed = sealBuffer(Buffer.from(CSV), key);
    expect(() => openSealedBuffer(sealed, randomBytes(32), 'weights')).toThrow(/sealed under another key/);
  });
});

describe('MasterKeyring', () => {
  const current = randomBytes(32);
  const previous = randomBytes(32);

  it('wraps data keys bound to their id, unwraps under current and previous master keys', () => {
    const old = new MasterKeyring(previous.toString('base64'));
    const dataKey = randomBytes(32);
    const w = old.wrap(dataKey, 'k1');
    expect(w.masterKeyId).toBe(masterKeyId(previous));
    const rotated = new MasterKeyring(current.toString('base64'), [previous.toString('base64')]);
    expect(rotated.unwrap(w.wrapped, 'k1', w.masterKeyId).equals(dataKey)).toBe(true);
    expect(() => rotated.unwrap(w.wrapped, 'k2', w.masterKeyId)).toThrow(/does not unwrap/);
    expect(() => new MasterKeyring(current.toString('base64')).unwrap(w.wrapped, 'k1', w.masterKeyId)).toThrow(
      /neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_PREVIOUS_KEYS/,
    );
    expect(() => new MasterKeyring(undefined).wrap(dataKey, 'k')).toThrow(/DATA_ENCRYPTION_KEY is not set/);
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = (c[at] as number) ^ 1;
  return c;
}

/** Swaps the first two chunk records (chunk size 16 + tag 16 = 32 bytes each) after the 24-byte header. */
function swapChunks(b: Buffer, record: number): Buffer {
  const h = b.subarray(0, 24);
  const c0 = b.subarray(24, 24 + record);
  const c1 = b.subarray(24 + record, 24 + 2 * record);
  return Buffer.concat([h, c1, c0, b.subarray(24 + 2 * record)]);
}
