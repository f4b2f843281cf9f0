import type { RedisOptions } from 'bullmq';

/** BullMQ connection options from REDIS_URL. Workers need maxRetriesPerRequest: null (blocking commands). */
export function redisOptionsFromUrl(url: string, forWorker: boolean): RedisOptions {
  return { url, maxRetriesPerRequest: forWorker ? null : 3 };
}
