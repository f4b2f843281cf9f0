import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { AuditPlanRepository } from '../../../../libs/persistence/src/repositories/audit-plan.repository';
import { consumeScheduledReaudits, ReauditScheduler } from '../../../../libs/queue/src/reaudit-scheduler';
import { AuditPlanService } from './audit-plan.service';
import { runInTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';

/**
 * The api's side of scheduled re-audits. At start-up it makes the queue's job schedulers match the plans in
 * Postgres (a schedule survives a restart of every process and even a Redis that lost its data; a scheduler
 * whose plan is gone is removed), then consumes the ticks: each one audits the model's latest version under its
 * plan. Several api replicas consume the same queue; BullMQ hands each tick's one job to one of them.
 */
@Injectable()
export class ScheduledReaudits implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ScheduledReaudits.name);
  private consumer: { close(): Promise<void> } | null = null;

  constructor(
    @Inject(AuditPlanRepository) private readonly plans: AuditPlanRepository,
    @Inject(ReauditScheduler) private readonly scheduler: ReauditScheduler,
    @Inject(AuditPlanService) private readonly planService: AuditPlanService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.consumer = consumeScheduledReaudits(
      this.config.REDIS_URL,
      this.config.QUEUE_PREFIX,
      async ({ modelId, tenantId }, tick) => {
        // A tick runs in its plan's tenant; a scheduler made before tenants names none: its model's, looked up.
        const tenant = tenantId ?? (await this.plans.tenantOfModel(modelId));
        if (tenant === null) return 'no such model';
        const outcome = await runInTenant(tenant, () => this.planService.reauditLatest(modelId, 'schedule'));
        const said = outcome.status === 'queued' ? `audit ${outcome.auditId} queued` : outcome.status;
        this.logger.log(`scheduled re-audit of model ${modelId} (tick ${tick.jobId}): ${said}`);
        return said;
      },
      (message) => this.logger.error(`reaudits queue error: ${message}`),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.close();
  }

  /** Job schedulers = plans with a schedule: missing ones upserted, changed ones replaced, orphans removed. */
  async reconcile(): Promise<void> {
    // Installation-wide: every tenant's plans (each scheduler's ticks carry the plan's tenant).
    const plans = await this.plans.listScheduled();
    const wanted = new Map(plans.map((p) => [p.modelId, p.schedule as string]));
    const tenantOf = new Map(plans.map((p) => [p.modelId, p.tenantId as string]));
    for (const existing of await this.scheduler.list()) {
      const pattern = wanted.get(existing.modelId);
      if (pattern === undefined) await this.scheduler.remove(existing.modelId);
      else if (pattern === existing.pattern && existing.tenantId !== undefined) wanted.delete(existing.modelId);
    }
    for (const [modelId, pattern] of wanted) await this.scheduler.upsert(modelId, pattern, tenantOf.get(modelId)!);
  }
}
