// Rate limiting (OWASP API4, unrestricted resource consumption): @nestjs/throttler with its counters in Redis
// (@nest-lab/throttler-storage-redis), so every api replica shares them. One bucket per API key across all
// routes (a hash of the presented key, never the key), or per client address when no key is presented. The guard
// runs before authentication, so floods of bad keys are limited too. Public routes (health, metrics) are not.
import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { PUBLIC_KEY } from '../auth/roles.decorator';

/** Whose bucket a request counts against: its presented API key (hashed), else its client address. */
export function throttleTracker(req: Record<string, unknown>): string {
  const headers = (req.headers ?? {}) as Record<string, string | undefined>;
  const authorization = headers.authorization;
  const key =
    headers['x-api-key'] ??
    (authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined);
  if (key) return `key:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  return `ip:${String(req.ip ?? 'unknown')}`;
}

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The Redis counters, failing open: while Redis is unreachable requests are not limited (and a warning is logged at
 * most once a minute), so that reads from Postgres keep working through a Redis outage. Commands fail at once
 * when Redis is down (no offline queue), instead of holding requests.
 */
export class FailOpenRedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private lastWarning = 0;
  private readonly redis: ThrottlerStorageRedisService;

  constructor(url: string) {
    this.redis = new ThrottlerStorageRedisService(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<StorageRecord> {
    try {
      return await this.redis.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (e) {
      if (Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.logger.warn(
          `rate limiting is off while Redis is unreachable (${e instanceof Error ? e.message : 'error'})`,
        );
      }
      return { totalHits: 0, timeToExpire: ttl, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  onModuleDestroy(): void {
    this.redis.onModuleDestroy();
  }
}

export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  return {
    throttlers: [{ name: 'default', ttl: config.THROTTLE_TTL_SECONDS * 1000, limit: config.THROTTLE_LIMIT }],
    storage: new FailOpenRedisThrottlerStorage(config.REDIS_URL),
    getTracker: throttleTracker,
    // 'default' is the name whose headers carry no suffix (Retry-After, X-RateLimit-Limit...).
    // One bucket per tracker for the whole api (the default counts each route apart), under QUEUE_PREFIX so that
    // deployments sharing one Redis do not share buckets.
    generateKey: (_context, tracker, name) => `${config.QUEUE_PREFIX}:throttle:${name}:${tracker}`,
  };
}

@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
  }
}
