// Outbound notification deliveries on BullMQ: one job per delivery (job id `delivery-<deliveryId>`, so enqueueing
// a delivery twice is a no-op), retried with exponential backoff. The receiver sees the delivery id as its
// idempotency key, so even a delivery retried after the receiver answered but before the answer was recorded
// is recognisable as a repeat.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { NotificationJobName, QueueName, type NotificationDeliveryPayload } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';

export interface NotificationRetryPolicy {
  /** Tries per delivery, the first included. */
  readonly attempts: number;
  /** Delay before the first retry; doubled for each further one. */
  readonly delayMs: number;
}

export const deliveryJobId = (deliveryId: string): string => `delivery-${deliveryId}`;

export class NotificationQueue {
  private opened: Queue<NotificationDeliveryPayload> | null = null;
  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly retry: NotificationRetryPolicy,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  private get queue(): Queue<NotificationDeliveryPayload> {
    if (!this.opened) {
      this.opened = new Queue(QueueName.Notifications, {
        connection: redisOptionsFromUrl(this.redisUrl, false),
        prefix: this.prefix,
      });
      this.opened.on('error', (err) => this.onError(err.message));
    }
    return this.opened;
  }

  async enqueue(deliveryId: string): Promise<void> {
    await this.queue.add(
      NotificationJobName.Deliver,
      { deliveryId },
      {
        jobId: deliveryJobId(deliveryId),
        attempts: this.retry.attempts,
        backoff: { type: 'exponential', delay: this.retry.delayMs },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }
}

/**
 * Consumes deliveries. `handle` gets whether this is the job's last attempt; it throws to have the job retried,
 * or UnrecoverableError (re-exported here) to stop retrying.
 */
export function consumeNotificationDeliveries(
  redisUrl: string,
  prefix: string,
  handle: (payload: NotificationDeliveryPayload, attempt: { number: number; last: boolean }) => Promise<string>,
  onError: (message: string) => void = () => undefined,
  concurrency = 4,
): { close(): Promise<void> } {
  const worker = new Worker<NotificationDeliveryPayload, string>(
    QueueName.Notifications,
    async (job: Job<NotificationDeliveryPayload>) => {
      if (job.name !== (NotificationJobName.Deliver as string))
        throw new UnrecoverableError(`unknown notifications job ${job.name}`);
      const attempts = job.opts.attempts ?? 1;
      return handle(job.data, { number: job.attemptsMade + 1, last: job.attemptsMade + 1 >= attempts });
    },
    { connection: redisOptionsFromUrl(redisUrl, true), prefix, concurrency },
  );
  worker.on('error', (err) => onError(err.message));
  return { close: () => worker.close() };
}

export { UnrecoverableError };
