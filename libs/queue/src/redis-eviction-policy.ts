import Redis from 'ioredis';

export class RedisEvictionPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisEvictionPolicyError';
  }
}

/**
 * BullMQ keeps jobs as ordinary keys: any eviction policy other than noeviction lets Redis silently drop
 * queued audits under memory pressure. Refuse to start rather than lose work.
 */
export async function assertRedisNoEviction(redisUrl: string): Promise<void> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  try {
    await client.connect().catch((e: Error) => {
      throw new RedisEvictionPolicyError(`cannot connect to Redis (REDIS_URL): ${e.message}`);
    });
    let reply: unknown;
    try {
      reply = await client.config('GET', 'maxmemory-policy');
    } catch (e) {
      throw new RedisEvictionPolicyError(
        `cannot read Redis maxmemory-policy (CONFIG GET failed: ${(e as Error).message}); CONFIG may be disabled or renamed on this server. ` +
          `Make sure the server runs with maxmemory-policy noeviction, then allow CONFIG GET for this user.`,
      );
    }
    const policy = Array.isArray(reply) ? String(reply[1] ?? '') : '';
    if (policy !== 'noeviction') {
      throw new RedisEvictionPolicyError(
        `Redis maxmemory-policy is '${policy || 'unknown'}'; privaudit needs 'noeviction' so queued audits are never evicted ` +
          `(start redis-server with --maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)`,
      );
    }
  } finally {
    client.disconnect();
  }
}
