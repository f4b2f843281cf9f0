import { runInTenant } from '../../../libs/persistence/src/tenancy/tenant-context';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { QueueEvents } from 'bullmq';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { QueueName } from '../../../libs/queue/src/queue-names';
import { redisOptionsFromUrl } from '../../../libs/queue/src/redis-connection';
import { markAuditFailedDurably } from './audit-job-failures';
import { auditIdOfJob, failedByChild, failureOfFailedJob } from './audit-repair';

/**
 * Ends the audit of every job that fails for good. The handler already does so for the failures it sees;
 * this covers those it never sees: a job that stalled more than maxStalledCount times is failed by another
 * worker's stalled-job check without calling any handler. markFailed only leaves queued/running, so an
 * audit the handler already ended (with its more specific reason) is left as it is. An event missed while
 * this worker was down is caught by the repair loop.
 */
@Injectable()
export class FailedJobListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FailedJobListener.name);
  private events?: QueueEvents;

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.events = new QueueEvents(QueueName.Audits, {
      connection: redisOptionsFromUrl(this.config.REDIS_URL, true),
      prefix: this.config.QUEUE_PREFIX,
    });
    this.events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
    this.events.on('error', (err) => this.logger.error(`queue events error: ${err.message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.events?.close();
  }

  private async onFailed(jobId: string, failedReason: string): Promise<void> {
    const auditId = auditIdOfJob(jobId);
    // An audit's job failed by its reference-model child (failParentOnFailure): the child's own 'failed' event carries
    // the specific reason (a stall, say), and recording the parent's generic "child ... failed" first would hide it,
    // since only the first failure recorded stands. A child event this listener missed is the repair loop's.
    if (failedByChild(jobId, failedReason)) return;
    const failure = failureOfFailedJob(jobId, failedReason, this.config.WORKER_MAX_STALLED_COUNT);
    try {
      // The event names only the job: its audit's tenant is looked up installation-wide, the failure written in it.
      const tenantId = await this.audits.tenantOfAudit(auditId);
      if (tenantId === null) return;
      if (await runInTenant(tenantId, () => markAuditFailedDurably(this.audits, auditId, failure)))
        this.logger.warn(`audit ${auditId} failed: ${failure.reason}`);
    } catch (e) {
      this.logger.error(
        `audit ${auditId}: could not record the failure of job ${jobId} (left to the repair loop): ${(e as Error).message}`,
      );
    }
  }
}
