// The rate limiter's counters in Redis (the api's own ThrottlerStorage, no Nest in it). One Lua script per request
// counts the hit in the caller's bucket and, in the same round trip, reads the API-key change epoch
// (libs/queue/src/api-key-epoch.ts) that the key cache must check: one Redis command per request instead of two
// (issue 11). The epoch is read after the request arrived, exactly as ApiKeyService's own read would be, so a
// revocation stays immediate on every replica. The buckets keep @nest-lab/throttler-storage-redis's keys
// ({<key>:<throttler>}:hits and :blocked) and its answers (test/integration/redis-throttle-storage.spec.ts compares
// the two), so buckets and 429 headers are the same as before; the script is sent once, then called by its sha.
// Fail-open: while Redis is unreachable requests are not limited (a warning at most once a minute) and no epoch is
// read here (ApiKeyService then reads it itself and, Redis being down, caches nothing). Commands fail at once
// when Redis is down (no offline queue) instead of holding requests.
// The script touches the bucket and the epoch key together, which a single Redis (what privaudit runs on) allows;
// a Redis Cluster would refuse keys of different hash slots in one script.
import Redis from 'ioredis';
import type { ThrottlerStorage } from '@nestjs/throttler';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** A counted hit and the key-change epoch read with it (undefined: not read, e.g. no epoch stored yet). */
export interface ThrottleCount {
  readonly record: StorageRecord;
  readonly epoch: string | undefined;
}

// One hit of a bucket. KEYS: the hit counter, the block marker, and (only when asked for) the key-change epoch.
// ARGV: the window (ms), the limit, how long a block lasts (ms). Answers hits, window left (ms), blocked (1/0),
// block left (ms) and the epoch (false when not asked for or not set).
const SCRIPT = `
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockMs = tonumber(ARGV[3])

local hits = redis.call('INCR', KEYS[1])
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft <= 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  windowLeft = window
end

local blockLeft = 0
if redis.call('EXISTS', KEYS[2]) == 1 then
  blockLeft = redis.call('PTTL', KEYS[2])
  if blockLeft <= 0 then
    -- A marker without an expiry would block forever: lift it and start the bucket over.
    redis.call('DEL', KEYS[2])
    redis.call('SET', KEYS[1], 1, 'PX', window)
    hits = 1
    windowLeft = window
    blockLeft = 0
  end
elseif hits > limit then
  redis.call('SET', KEYS[2], 1, 'PX', blockMs)
  blockLeft = blockMs
end

local epoch = false
if #KEYS == 3 then
  epoch = redis.call('GET', KEYS[3])
end
return { hits, windowLeft, blockLeft > 0 and 1 or 0, blockLeft, epoch }
`;

type ThrottleReply = [number, number, number, number, string | null];

interface ThrottleCommands {
  /** The script: the number of keys (2, or 3 with the epoch), the keys, then ARGV. */
  privauditThrottle(...args: (string | number)[]): Promise<unknown>;
}

export interface Warn {
  (message: string): void;
}

export class RedisThrottleStorage implements ThrottlerStorage {
  private readonly redis: Redis & ThrottleCommands;
  private lastWarning = 0;

  /**
   * `epochKey`: the key-change epoch's Redis key, read with every count; null when nothing reads it
   * (API_KEY_CACHE_SECONDS=0). `warn`: where the fail-open warning goes.
   */
  constructor(
    url: string,
    private readonly epochKey: string | null,
    private readonly warn: Warn,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) as Redis & ThrottleCommands;
    this.redis.on('error', () => undefined); // an unreachable Redis only means no limiting (warned on use)
    // No fixed number of keys: each call says whether the epoch key is among them.
    this.redis.defineCommand('privauditThrottle', { lua: SCRIPT });
  }

  /** ThrottlerStorage: counts a hit (no epoch read). */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<StorageRecord> {
    return (await this.count(false, key, ttl, limit, blockDuration, throttlerName)).record;
  }

  /** Counts a hit and reads the key-change epoch in the same round trip (when an epoch key was given). */
  async incrementReadingEpoch(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottleCount> {
    return this.count(true, key, ttl, limit, blockDuration, throttlerName);
  }

  private async count(
    readEpoch: boolean,
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottleCount> {
    const hitKey = `{${key}:${throttlerName}}:hits`;
    const blockKey = `{${key}:${throttlerName}}:blocked`;
    try {
      const keys = readEpoch && this.epochKey !== null ? [hitKey, blockKey, this.epochKey] : [hitKey, blockKey];
      const reply = await this.redis.privauditThrottle(keys.length, ...keys, ttl, limit, blockDuration);
      return parseReply(reply);
    } catch (e) {
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.warn(`rate limiting is off while Redis is unreachable (${e instanceof Error ? e.message : 'error'})`);
      }
      return {
        record: { totalHits: 0, timeToExpire: ttl, isBlocked: false, timeToBlockExpire: 0 },
        epoch: undefined,
      };
    }
  }

  close(): void {
    this.redis.disconnect(false);
  }

  /** Nest's shutdown hook. */
  onModuleDestroy(): void {
    this.close();
  }
}

function parseReply(reply: unknown): ThrottleCount {
  if (!Array.isArray(reply) || reply.length < 4 || !reply.slice(0, 4).every((v) => typeof v === 'number')) {
    throw new TypeError('the rate-limit script answered an unexpected reply');
  }
  const [totalHits, timeToExpire, isBlocked, timeToBlockExpire, epoch] = reply as ThrottleReply;
  return {
    record: {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    },
    epoch: typeof epoch === 'string' ? epoch : undefined,
  };
}
