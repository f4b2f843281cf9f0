// Rate limiting (OWASP API4, unrestricted resource consumption): @nestjs/throttler with its counters in Redis
// (redis-throttle-storage.ts), so every api replica shares them. One bucket per API key across all routes (a hash of
// the presented key, never the key), or per client address when no key is presented. The guard runs before
// authentication, so floods of bad keys are limited too. Public routes (health, metrics) are not. The same Redis
// round trip reads the API-key change epoch for ApiKeyGuard (auth/request-key-facts.ts), and the key's hash is kept
// for it too: one Redis command and one sha256 per request.
import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerRequest } from '@nestjs/throttler';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { apiKeyEpochKey } from '../../../../libs/queue/src/api-key-epoch';
import { PUBLIC_KEY } from '../auth/roles.decorator';
import { presentedKeyHash, rememberEpoch } from '../auth/request-key-facts';
import { RedisThrottleStorage } from './redis-throttle-storage';

/** Whose bucket a request counts against: its presented API key (hashed), else its client address. */
export function throttleTracker(req: Record<string, unknown>): string {
  const headers = (req.headers ?? {}) as Record<string, string | undefined>;
  const authorization = headers.authorization;
  const key =
    headers['x-api-key'] ??
    (authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined);
  if (key) return `key:${presentedKeyHash(req, key).slice(0, 32)}`;
  return `ip:${String(req.ip ?? 'unknown')}`;
}

export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const logger = new Logger('RateLimit');
  return {
    throttlers: [{ name: 'default', ttl: config.THROTTLE_TTL_SECONDS * 1000, limit: config.THROTTLE_LIMIT }],
    // No key cache (API_KEY_CACHE_SECONDS=0): no epoch to read.
    storage: new RedisThrottleStorage(
      config.REDIS_URL,
      config.API_KEY_CACHE_SECONDS === 0 ? null : apiKeyEpochKey(config.QUEUE_PREFIX),
      (m) => logger.warn(m),
    ),
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

  /**
   * ThrottlerGuard's own handleRequest (@nestjs/throttler 6.7: the same key, headers and 429), except that the count
   * comes from RedisThrottleStorage with the key-change epoch read in the same round trip, kept for ApiKeyGuard.
   */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const storage = this.storageService;
    // Anything this copy does not do (user agents left unlimited) is left to the original.
    if (
      !(storage instanceof RedisThrottleStorage) ||
      (props.throttler.ignoreUserAgents ?? this.commonOptions.ignoreUserAgents)
    ) {
      return super.handleRequest(props);
    }
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const { req, res } = this.getRequestResponse(context);
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, throttler.name as string);
    const { record, epoch } = await storage.incrementReadingEpoch(
      key,
      ttl,
      limit,
      blockDuration,
      throttler.name as string,
    );
    if (epoch !== undefined) rememberEpoch(req, epoch);
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = record;
    const suffix = throttler.name === 'default' ? '' : `-${throttler.name}`;
    const setHeaders = throttler.setHeaders ?? this.commonOptions.setHeaders ?? true;
    if (isBlocked) {
      if (setHeaders) this.setResponseHeader(res, `Retry-After${suffix}`, timeToBlockExpire);
      await this.throwThrottlingException(context, {
        limit,
        ttl,
        key,
        tracker,
        totalHits,
        timeToExpire,
        isBlocked,
        timeToBlockExpire,
      });
    }
    if (setHeaders) {
      this.setResponseHeader(res, `${this.headerPrefix}-Limit${suffix}`, limit);
      this.setResponseHeader(res, `${this.headerPrefix}-Remaining${suffix}`, Math.max(0, limit - totalHits));
      this.setResponseHeader(res, `${this.headerPrefix}-Reset${suffix}`, timeToExpire);
    }
    return true;
  }
}
