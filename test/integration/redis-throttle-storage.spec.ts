// The api's rate-limit storage (apps/api/src/http/redis-throttle-storage.ts) against the real Redis: it counts and
// blocks exactly as @nest-lab/throttler-storage-redis (whose keys and answers it keeps), reads the API-key change
// epoch in the same command, and fails open when Redis is unreachable.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisThrottleStorage } from '../../apps/api/src/http/redis-throttle-storage';
import { REDIS_URL } from './support/test-infrastructure';

jest.setTimeout(30_000);

type Record = Awaited<ReturnType<RedisThrottleStorage['increment']>>;
type Increment = [key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string];

/** Increments one after the other with our storage. */
async function ours(storage: RedisThrottleStorage, calls: Increment[]): Promise<Record[]> {
  const records: Record[] = [];
  for (const call of calls) records.push(await storage.increment(...call));
  // As the library's arrive (JSON: Math.ceil's -0 is 0 there, as in a header).
  return JSON.parse(JSON.stringify(records)) as Record[];
}

/**
 * The same with @nest-lab/throttler-storage-redis, the api's storage before, run in a node process of its own (it
 * loads @nestjs/common, an ES module that jest's runtime cannot load).
 */
async function theirs(calls: Increment[]): Promise<Record[]> {
  const code = `
    const { ThrottlerStorageRedisService } = require('@nest-lab/throttler-storage-redis');
    const s = new ThrottlerStorageRedisService(process.env.REDIS_URL);
    (async () => {
      const records = [];
      for (const call of JSON.parse(process.argv[1])) records.push(await s.increment(...call));
      console.log(JSON.stringify(records));
      s.onModuleDestroy();
    })();`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', code, JSON.stringify(calls)], {
    env: { ...process.env, REDIS_URL },
  });
  return JSON.parse(stdout) as Record[];
}

/** The storage once its connection is up (before, it fails open at once: no offline queue). */
async function connected(storage: RedisThrottleStorage, probe: string): Promise<RedisThrottleStorage> {
  while ((await storage.increment(probe, 1000, 100, 1000, 'default')).totalHits === 0) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return storage;
}

describe('RedisThrottleStorage', () => {
  const prefix = `test-throttle-${randomBytes(4).toString('hex')}`;
  const epochKey = `${prefix}:api-key-epoch`;
  let redis: Redis;
  let storage: RedisThrottleStorage;
  const ignore = () => undefined; // the fail-open warning (checked in the last test)

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    storage = await connected(new RedisThrottleStorage(REDIS_URL, epochKey, ignore), `${prefix}:probe`);
  });
  afterAll(async () => {
    const keys = await redis.keys(`*${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    storage.close();
    redis.disconnect();
  });

  it('counts, blocks past the limit and answers as @nest-lab/throttler-storage-redis, under the same keys', async () => {
    const six = (key: string) => Array.from({ length: 6 }, (): Increment => [key, 60_000, 3, 30_000, 'default']);
    const mine = await ours(storage, six(`${prefix}:ours`));
    expect(mine.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [5, true],
      [6, true],
    ]);
    // Seconds, rounded up, as the library answers them (X-RateLimit-Reset, Retry-After).
    expect(mine[5]).toMatchObject({ timeToExpire: 60, timeToBlockExpire: 30 });
    expect(mine).toEqual(await theirs(six(`${prefix}:theirs`)));
    expect(await redis.get(`{${prefix}:ours:default}:hits`)).toBe('6');
    expect(await redis.get(`{${prefix}:ours:default}:blocked`)).toBe('1');
  });

  it('starts over once the window and the block have expired, and drops a block without expiry, as the library', async () => {
    const blockThenAgain = async (key: string, expire: (bucket: string) => Promise<unknown>) => {
      const three = Array.from({ length: 3 }, (): Increment => [key, 60_000, 2, 30_000, 'default']);
      const again: Increment[] = [[key, 60_000, 2, 30_000, 'default']];
      const mine = await ours(storage, three);
      await expire(`{${key}:default}`);
      mine.push(...(await ours(storage, again)));
      const library = await theirs(three.map(([, ...rest]): Increment => [`${key}-lib`, ...rest]));
      await expire(`{${key}-lib:default}`);
      library.push(...(await theirs([[`${key}-lib`, 60_000, 2, 30_000, 'default']])));
      expect(mine).toEqual(library);
      return mine[3];
    };
    // Both the window and the block are up (made to expire rather than waited for).
    const expired = await blockThenAgain(`${prefix}:expired`, async (bucket) => {
      await redis.pexpire(`${bucket}:hits`, 1);
      await redis.pexpire(`${bucket}:blocked`, 1);
      await new Promise((r) => setTimeout(r, 20));
    });
    // A block key that lost its expiry (the script's own repair branch).
    const stuck = await blockThenAgain(`${prefix}:stuck`, (bucket) => redis.persist(`${bucket}:blocked`));
    for (const record of [expired, stuck]) {
      expect(record).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    }
  });

  it('reads the key-change epoch in the same command, only when there is one and it was asked for', async () => {
    const key = `${prefix}:epoch`;
    expect((await storage.incrementReadingEpoch(key, 60_000, 100, 60_000, 'default')).epoch).toBeUndefined();
    await redis.set(epochKey, 'epoch-1');
    const counted = await storage.incrementReadingEpoch(key, 60_000, 100, 60_000, 'default');
    expect(counted).toEqual({
      record: { totalHits: 2, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 },
      epoch: 'epoch-1',
    });
    await redis.set(epochKey, 'epoch-2');
    expect((await storage.incrementReadingEpoch(key, 60_000, 100, 60_000, 'default')).epoch).toBe('epoch-2');
    // A blocked count still reads it (the request is refused anyway).
    const blocked = await storage.incrementReadingEpoch(`${prefix}:epoch-blocked`, 60_000, 0, 60_000, 'default');
    expect(blocked).toMatchObject({ record: { isBlocked: true }, epoch: 'epoch-2' });
    // No key cache (API_KEY_CACHE_SECONDS=0): no epoch key, nothing read.
    const withoutEpoch = await connected(new RedisThrottleStorage(REDIS_URL, null, ignore), `${prefix}:probe`);
    try {
      const none = await withoutEpoch.incrementReadingEpoch(key, 60_000, 100, 60_000, 'default');
      expect(none).toEqual({ record: expect.objectContaining({ totalHits: 4 }) as unknown, epoch: undefined });
    } finally {
      withoutEpoch.close();
    }
  });

  it('fails open, with one warning, while Redis is unreachable', async () => {
    // A port nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const seen: string[] = [];
    const down = new RedisThrottleStorage(`redis://127.0.0.1:${port}`, epochKey, (m) => seen.push(m));
    try {
      for (let i = 0; i < 3; i++) {
        expect(await down.incrementReadingEpoch(`${prefix}:down`, 60_000, 1, 60_000, 'default')).toEqual({
          record: { totalHits: 0, timeToExpire: 60_000, isBlocked: false, timeToBlockExpire: 0 },
          epoch: undefined,
        });
      }
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/^rate limiting is off while Redis is unreachable/);
    } finally {
      down.close();
    }
  });
});
