// The retention purge's clock: one BullMQ job scheduler (`retention-purge`) on the retention queue, ticking every
// RETENTION_PURGE_INTERVAL_SECONDS. The scheduler lives in Redis (it survives restarts; upserting it again replaces
// it, so every api replica may upsert it at start-up), and BullMQ hands each tick's one job to one consumer.
import { Queue, Worker, type Job } from 'bullmq';
import { QueueName, RetentionJobName } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';

export const RETENTION_SCHEDULER_ID = 'retention-purge';

export interface RetentionPurgeSchedule {
  /** Queues one pass now (besides the schedule's ticks); resolves with its job id. */
  runNow(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Upserts the scheduler and consumes the queue: `handle` runs one pass at a time in this process. Returns a handle
 * to queue a pass at once or to close both.
 */
export async function startRetentionPurgeSchedule(opts: {
  redisUrl: string;
  prefix: string;
  everyMs: number;
  handle: (tick: { jobId: string }) => Promise<string>;
  onError?: (message: string) => void;
}): Promise<RetentionPurgeSchedule> {
  const onError = opts.onError ?? (() => undefined);
  const queue = new Queue(QueueName.Retention, {
    connection: redisOptionsFromUrl(opts.redisUrl, false),
    prefix: opts.prefix,
  });
  queue.on('error', (err) => onError(err.message));
  const jobOpts = { removeOnComplete: 100, removeOnFail: 100, attempts: 1 };
  await queue.upsertJobScheduler(
    RETENTION_SCHEDULER_ID,
    { every: opts.everyMs },
    { name: RetentionJobName.Purge, data: {}, opts: jobOpts },
  );
  const worker = new Worker<Record<string, never>, string>(
    QueueName.Retention,
    async (job: Job) => {
      if (job.name !== (RetentionJobName.Purge as string)) throw new Error(`unknown retention job ${job.name}`);
      return opts.handle({ jobId: job.id ?? '' });
    },
    { connection: redisOptionsFromUrl(opts.redisUrl, true), prefix: opts.prefix, concurrency: 1 },
  );
  // A Redis outage is reported and retried by BullMQ; an 'error' event without a listener would end the process.
  worker.on('error', (err) => onError(err.message));
  return {
    async runNow() {
      const job = await queue.add(RetentionJobName.Purge, {}, jobOpts);
      return job.id ?? '';
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
