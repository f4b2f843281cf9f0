import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { DataLifecycleRepository } from '../../../../libs/persistence/src/repositories/data-lifecycle.repository';
import { TenantRepository } from '../../../../libs/persistence/src/repositories/tenant.repository';
import {
  startRetentionPurgeSchedule,
  type RetentionPurgeSchedule,
} from '../../../../libs/queue/src/retention-purge-schedule';
import { DataDeletionService } from '../deletion/data-deletion.service';
import { RetentionPurge, type RetentionPassOutcome } from './retention-purge';

/**
 * The api's side of retention: at start-up it upserts the purge's job scheduler (every
 * RETENTION_PURGE_INTERVAL_SECONDS) and consumes its ticks; each tick runs one RetentionPurge pass. The api runs it
 * because it holds the deletion code paths (the same as the DELETE routes). With several replicas, BullMQ gives
 * each tick to one of them, and a per-tenant advisory lock keeps two passes off the same tenant.
 */
@Injectable()
export class ScheduledRetentionPurge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RetentionPurge');
  private readonly purge: RetentionPurge;
  private schedule: RetentionPurgeSchedule | null = null;

  constructor(
    @Inject(TenantRepository) tenants: TenantRepository,
    @Inject(DataLifecycleRepository) lifecycle: DataLifecycleRepository,
    @Inject(DataDeletionService) deletions: DataDeletionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.purge = new RetentionPurge(tenants, lifecycle, deletions, config.TENANT_RETENTION_DAYS, this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.schedule = await startRetentionPurgeSchedule({
      redisUrl: this.config.REDIS_URL,
      prefix: this.config.QUEUE_PREFIX,
      everyMs: this.config.RETENTION_PURGE_INTERVAL_SECONDS * 1000,
      handle: async () => {
        try {
          return describe(await this.runPass());
        } catch (e) {
          this.logger.error(`retention pass failed: ${(e as Error).message}`);
          throw e;
        }
      },
      onError: (message) => this.logger.error(`retention queue error: ${message}`),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule?.close();
  }

  runPass(): Promise<RetentionPassOutcome> {
    return this.purge.runPass();
  }
}

function describe(o: RetentionPassOutcome): string {
  return (
    `${o.tenants.length + o.failed.length} tenant(s) with retention: ${o.audits} audit(s), ${o.datasets} dataset(s) deleted` +
    (o.failed.length > 0 ? `; stopped on an error for ${o.failed.length} tenant(s)` : '')
  );
}
