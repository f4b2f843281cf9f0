import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { AuditQueue } from '../../../libs/queue/src/audit-queue';
import { StrandedAuditRepair } from './stranded-audit-repair';

/**
 * Every AUDIT_REPAIR_INTERVAL_MS, looks at the audits that have been queued or running, untouched, for
 * AUDIT_REPAIR_MIN_AGE_MS, and ends or re-enqueues those whose job cannot move them on (audit-repair.ts).
 * Every worker runs it; each action is idempotent (a conditional update, a job id equal to the audit id),
 * so two workers repairing the same audit do it once.
 */
@Injectable()
export class AuditRepairLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditRepairLoop.name);
  private readonly repair: StrandedAuditRepair;
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(AuditRepository) audits: AuditRepository,
    @Inject(AuditQueue) queue: AuditQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.repair = new StrandedAuditRepair(audits, queue, config, this.logger);
  }

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
      this.pass = this.repair
        .runPass(() => this.stopped)
        .then(() => undefined)
        .catch((e: unknown) => this.logger.error(`repair pass failed: ${(e as Error).message}`))
        .finally(() => this.schedule());
    }, this.config.AUDIT_REPAIR_INTERVAL_MS);
  }
}
