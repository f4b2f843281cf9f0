// The key-change epoch: a random token in Redis that the api replaces whenever it revokes or rotates an API key,
// before it answers. Each replica reads it once per request and trusts a cached authentication only under the epoch
// its lookup read (apps/api/src/auth/api-key-cache.ts). Because the change committed and the epoch moved before the
// revoking replica answered, any request sent after that answer reads the new epoch and finds no cached entry: the
// key is refused at once on every replica, however late Postgres's notification reaches them. A random token (not
// a counter) cannot come back to an old value after Redis loses it; a lost token is recreated, which also
// invalidates every entry. While Redis is unreachable the epoch is unreadable and the cache is not used.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/** Where the epoch lives in Redis (the api's rate limiter reads it in its own script: api-throttler.guard.ts). */
export function apiKeyEpochKey(prefix: string): string {
  return `${prefix}:api-key-epoch`;
}

/** Injection token; RedisApiKeyEpoch is the implementation. */
export abstract class ApiKeyEpoch {
  /** The current epoch, or null when it cannot be read (then nothing cached may be trusted). */
  abstract read(): Promise<string | null>;
  /** Moves the epoch (after a change of api_keys has committed, before answering). Throws when Redis refuses. */
  abstract bump(): Promise<void>;
  abstract close(): Promise<void>;
}

export class RedisApiKeyEpoch extends ApiKeyEpoch {
  private readonly redis: Redis;
  private readonly key: string;

  constructor(url: string, prefix: string) {
    super();
    // Fail at once while Redis is down (no offline queue): a request must not wait for the epoch.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', () => undefined); // an unreachable Redis only means no caching
    this.key = apiKeyEpochKey(prefix);
  }

  async read(): Promise<string | null> {
    try {
      const epoch = await this.redis.get(this.key);
      if (epoch !== null) return epoch;
      // No epoch yet, or Redis lost it: start a new one (another replica may win the race; read what won).
      await this.redis.set(this.key, randomUUID(), 'NX');
      return await this.redis.get(this.key);
    } catch {
      return null;
    }
  }

  async bump(): Promise<void> {
    await this.redis.set(this.key, randomUUID());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Nest's shutdown hook. */
  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}

/** API_KEY_CACHE_SECONDS=0: no cache, so no epoch is read or moved. */
export class NoApiKeyEpoch extends ApiKeyEpoch {
  async read(): Promise<string | null> {
    return null;
  }
  async bump(): Promise<void> {}
  async close(): Promise<void> {}
}
