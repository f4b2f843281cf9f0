import Redis from 'ioredis';

export class RedisPersistenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisPersistenceError';
  }
}

/** What the server keeps on disk: the append-only file, RDB save points, or nothing. */
export interface RedisPersistence {
  readonly appendOnly: boolean;
  /** The `save` setting, e.g. '3600 1 300 100'; empty = no RDB snapshots. */
  readonly savePoints: string;
}

/**
 * A Redis that keeps nothing on disk loses every queued audit (and every job's state) when it restarts:
 * the rows stay queued or running with no job behind them. Refuse to start on one, as for an evicting
 * Redis, unless allowWithout is set (PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: tests only, whose Redis is
 * disposable). Returns what it found.
 */
export async function assertRedisPersistence(
  redisUrl: string,
  opts: { allowWithout: boolean; warn?: (message: string) => void },
): Promise<RedisPersistence> {
  const found = await readRedisPersistence(redisUrl);
  if (found.appendOnly || found.savePoints.trim() !== '') return found;
  const problem =
    'Redis keeps nothing on disk (appendonly no, no save points): a restart would lose every queued audit';
  if (opts.allowWithout) {
    opts.warn?.(`${problem}; allowed by PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE (tests only)`);
    return found;
  }
  throw new RedisPersistenceError(
    `${problem}. Start redis-server with --appendonly yes (or RDB save points, e.g. --save "60 1"), ` +
      `or CONFIG SET appendonly yes`,
  );
}

export async function readRedisPersistence(redisUrl: string): Promise<RedisPersistence> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  try {
    await client.connect().catch((e: Error) => {
      throw new RedisPersistenceError(`cannot connect to Redis (REDIS_URL): ${e.message}`);
    });
    const get = async (name: string): Promise<string> => {
      try {
        const reply = await client.config('GET', name);
        return Array.isArray(reply) ? String(reply[1] ?? '') : '';
      } catch (e) {
        throw new RedisPersistenceError(
          `cannot read Redis ${name} (CONFIG GET failed: ${(e as Error).message}); CONFIG may be disabled or renamed on this server. ` +
            `Make sure the server persists its data (appendonly yes or RDB save points), then allow CONFIG GET for this user.`,
        );
      }
    };
    return { appendOnly: (await get('appendonly')) === 'yes', savePoints: await get('save') };
  } finally {
    client.disconnect();
  }
}
