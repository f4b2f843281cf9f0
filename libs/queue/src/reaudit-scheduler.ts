// Cron schedules of audit plans as BullMQ job schedulers on the reaudits queue, one per model (id
// `reaudit:<modelId>`). The scheduler lives in Redis, so it survives restarts of every process; upserting it again
// replaces it (one scheduler per model, never two); BullMQ derives each tick's job id from the scheduler and the
// tick's time, so a tick is one job, taken by one consumer however many api replicas run.
import { Queue, Worker, type Job } from 'bullmq';
import { QueueName, ReauditJobName, type ScheduledReauditPayload } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';

export interface ReauditSchedule {
  readonly modelId: string;
  readonly pattern: string;
  /** Epoch ms of the next tick, when BullMQ knows it. */
  readonly next: number | null;
  /** The tenant its ticks run in (absent on schedulers made before tenants: reconcile replaces them). */
  readonly tenantId?: string;
}

const SCHEDULER_PREFIX = 'reaudit:';
const schedulerId = (modelId: string): string => `${SCHEDULER_PREFIX}${modelId}`;

/** Injection token and interface; BullMQ is the implementation. */
export abstract class ReauditScheduler {
  /** Creates or replaces the model's schedule (cron pattern, UTC). */
  abstract upsert(modelId: string, pattern: string, tenantId: string): Promise<void>;
  /** True when a schedule was removed. */
  abstract remove(modelId: string): Promise<boolean>;
  abstract list(): Promise<ReauditSchedule[]>;
  abstract close(): Promise<void>;
}

export class BullMqReauditScheduler extends ReauditScheduler {
  private opened: Queue<ScheduledReauditPayload> | null = null;
  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    super();
  }

  /** Opened on first use: the worker process wires this class but never schedules, and so opens no connection. */
  private get queue(): Queue<ScheduledReauditPayload> {
    if (!this.opened) {
      this.opened = new Queue(QueueName.Reaudits, {
        connection: redisOptionsFromUrl(this.redisUrl, false),
        prefix: this.prefix,
      });
      this.opened.on('error', (err) => this.onError(err.message));
    }
    return this.opened;
  }

  async upsert(modelId: string, pattern: string, tenantId: string): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedulerId(modelId),
      { pattern, tz: 'UTC' },
      {
        name: ReauditJobName.Scheduled,
        data: { modelId, tenantId },
        // A tick's job is small; keep some history for inspection, not all of it.
        opts: {
          removeOnComplete: 1000,
          removeOnFail: 1000,
          attempts: 3,
          backoff: { type: 'exponential', delay: 5000 },
        },
      },
    );
  }

  remove(modelId: string): Promise<boolean> {
    return this.queue.removeJobScheduler(schedulerId(modelId));
  }

  async list(): Promise<ReauditSchedule[]> {
    const schedulers = await this.queue.getJobSchedulers(0, -1, true);
    return schedulers.flatMap((s) =>
      s.key.startsWith(SCHEDULER_PREFIX) && s.pattern
        ? [
            {
              modelId: s.key.slice(SCHEDULER_PREFIX.length),
              pattern: s.pattern,
              next: s.next ?? null,
              ...(typeof s.template?.data?.tenantId === 'string' ? { tenantId: s.template.data.tenantId } : {}),
            },
          ]
        : [],
    );
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }
}

/** Consumes the reaudits queue: one tick at a time per process. Returns a handle to close it. */
export function consumeScheduledReaudits(
  redisUrl: string,
  prefix: string,
  handle: (payload: ScheduledReauditPayload, tick: { jobId: string; timestamp: number }) => Promise<string>,
  onError: (message: string) => void = () => undefined,
): { close(): Promise<void> } {
  const worker = new Worker<ScheduledReauditPayload, string>(
    QueueName.Reaudits,
    async (job: Job<ScheduledReauditPayload>) => {
      if (job.name !== (ReauditJobName.Scheduled as string)) throw new Error(`unknown reaudits job ${job.name}`);
      return handle(job.data, { jobId: job.id ?? '', timestamp: job.timestamp });
    },
    { connection: redisOptionsFromUrl(redisUrl, true), prefix, concurrency: 1 },
  );
  // A Redis outage is reported and retried by BullMQ; an 'error' event without a listener would end the process.
  worker.on('error', (err) => onError(err.message));
  return { close: () => worker.close() };
}
