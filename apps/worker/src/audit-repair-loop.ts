import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { AuditQueue } from '../../../libs/queue/src/audit-queue';
import { repairActionFor } from './audit-repair';

/** Audits looked at per pass: a large backlog is worked through over several passes. */
const AUDITS_PER_PASS = 200;

/**
 * Every AUDIT_REPAIR_INTERVAL_MS, looks at the audits that have been queued or running, untouched, for
 * AUDIT_REPAIR_MIN_AGE_MS, and ends or re-enqueues those whose job cannot move them on (audit-repair.ts).
 * Every worker runs it; each action is idempotent (a conditional update, a job id equal to the audit id),
 * so two workers repairing the same audit do it once.
 */
@Injectable()
export class AuditRepairLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditRepairLoop.name);
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(AuditQueue) private readonly queue: AuditQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.repairOnce()
        .then(() => undefined)
        .catch((e: unknown) => this.logger.error(`repair pass failed: ${(e as Error).message}`))
        .finally(() => this.schedule());
    }, this.config.AUDIT_REPAIR_INTERVAL_MS);
  }

  /** One pass; resolves with the number of audits it changed. */
  async repairOnce(): Promise<number> {
    let changed = 0;
    for (const audit of await this.audits.listStaleActive(this.config.AUDIT_REPAIR_MIN_AGE_MS, AUDITS_PER_PASS)) {
      if (this.stopped) break;
      const action = repairActionFor(
        audit.id,
        audit.status,
        await this.queue.jobState(audit.id),
        this.config.WORKER_MAX_STALLED_COUNT,
      );
      switch (action.kind) {
        case 'none':
          break;
        case 'enqueue':
          // Without reference-model children even when the audit had some: the audit job trains the models
          // not stored yet itself (run-membership-audit.job.ts), so nothing is lost, only spread less.
          await this.queue.enqueueMembershipAudit(audit.id);
          this.logger.warn(`audit ${audit.id} was queued with no job behind it: enqueued it again`);
          changed++;
          break;
        case 'fail':
          if (await this.audits.markFailed(audit.id, action.failure)) {
            this.logger.warn(`audit ${audit.id} failed (repair): ${action.failure.reason}`);
            changed++;
          }
          break;
      }
    }
    return changed;
  }
}
