import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { runInTenant } from '../../../libs/persistence/src/tenancy/tenant-context';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { JobName, QueueName } from '../../../libs/queue/src/queue-names';
import { redisOptionsFromUrl } from '../../../libs/queue/src/redis-connection';
import { indexHandlers, JOB_HANDLERS, JobHandler } from './job-handler';
import { ShutdownSignal } from './shutdown-signal';

/**
 * Consumes the audits queue and dispatches each job to its handler. On SIGTERM: stop taking jobs, let the
 * job in hand finish within the grace period, else abort it and hand it back to the queue.
 */
@Injectable()
export class AuditQueueConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditQueueConsumer.name);
  private readonly handlers: Map<JobName, JobHandler>;
  private worker?: Worker;

  constructor(
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ShutdownSignal) private readonly shutdown: ShutdownSignal,
    @Inject(AuditRepository) private readonly audits: AuditRepository,
  ) {
    this.handlers = indexHandlers(handlers);
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker(
      QueueName.Audits,
      (job: Job, token?: string, signal?: AbortSignal) => this.dispatch(job, token, signal),
      {
        connection: redisOptionsFromUrl(this.config.REDIS_URL, true),
        prefix: this.config.QUEUE_PREFIX,
        concurrency: this.config.WORKER_CONCURRENCY,
        // The audit runs in a child process, so the event loop stays free to renew locks. A worker that dies
        // (killed, machine lost) stops renewing: after lockDuration another worker's stalled-job check puts
        // the job back in the queue, and the reference-model job's stored-key check makes the re-run cheap.
        lockDuration: this.config.WORKER_LOCK_DURATION_MS,
        stalledInterval: this.config.WORKER_STALLED_INTERVAL_MS,
        // Explicit, not BullMQ's default: a job that stalls once more than this is failed without calling the
        // handler; FailedJobListener (or the repair loop) then fails its audit.
        maxStalledCount: this.config.WORKER_MAX_STALLED_COUNT,
      },
    );
    this.worker.on('failed', (job, err) =>
      this.logger.warn(`job ${job?.id ?? '?'} (${job?.name ?? '?'}) failed: ${err.message}`),
    );
    this.worker.on('error', (err) => this.logger.error(`queue error: ${err.message}`));
    this.logger.log(
      `consuming queue '${QueueName.Audits}' (prefix ${this.config.QUEUE_PREFIX}, concurrency ${this.config.WORKER_CONCURRENCY})`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.shutdown.stopping = true;
    const graceMs = this.config.SHUTDOWN_GRACE_SECONDS * 1000;
    this.logger.log(`stopping: no new jobs; waiting up to ${this.config.SHUTDOWN_GRACE_SECONDS} s for the job in hand`);
    const closing = worker.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn('grace period over: handing unfinished jobs back to the queue');
      worker.cancelAllJobs('worker shutting down');
      await closing;
    }
  }

  private async dispatch(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`no handler for job '${job.name}'`);
    // Every job runs in its audit's tenant: row-level security then keeps its reads and writes there. A job
    // queued before tenants carries none: its audit's tenant is looked up (installation-wide, by id).
    const data = job.data as { auditId?: unknown; tenantId?: unknown };
    const tenantId =
      typeof data.tenantId === 'string'
        ? data.tenantId
        : typeof data.auditId === 'string'
          ? await this.audits.tenantOfAudit(data.auditId)
          : null;
    if (tenantId === null) throw new UnrecoverableError(`job '${job.name}' names no tenant and no known audit`);
    return runInTenant(tenantId, () => handler.handle(job, token, signal ?? new AbortController().signal));
  }
}
