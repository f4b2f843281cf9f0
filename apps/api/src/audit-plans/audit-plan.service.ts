import { requireTenantId } from '../../../../libs/persistence/src/tenancy/tenant-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { ReauditScheduler } from '../../../../libs/queue/src/reaudit-scheduler';
import { cronScheduleProblem } from './cron-schedule';
import type { AuditPlanRecord, AuditRecord, AuditTrigger } from '../../../../libs/persistence/src/records';
import { DatasetRole } from '../../../../libs/persistence/src/records';
import { AuditPlanRepository } from '../../../../libs/persistence/src/repositories/audit-plan.repository';
import { isEngineError } from '../../../../libs/engine/src/errors';
import { AuditCommission, AuditCommissionService } from '../audits/audit-commission.service';
import { DatasetCatalogService } from '../datasets/dataset-catalog.service';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { ModelRegistryService } from '../models/model-registry.service';
import type { AuditPlanBody } from './audit-plan.schema';

/** What happened to the re-audit a new version (or a schedule, or a webhook) asked for. */
export type ReauditOutcome =
  | { readonly status: 'queued'; readonly auditId: string }
  | { readonly status: 'not-queued'; readonly error: { readonly code: string; readonly message: string } }
  | { readonly status: 'no-plan' }
  | { readonly status: 'disabled' };

/**
 * A model's audit plan and the re-audits commissioned under it. A re-audit is an ordinary audit (the same
 * commissioning, checks and pricing as POST /audits) whose options come from the plan.
 */
@Injectable()
export class AuditPlanService {
  private readonly logger = new Logger(AuditPlanService.name);

  constructor(
    @Inject(AuditPlanRepository) private readonly plans: AuditPlanRepository,
    @Inject(ModelRegistryService) private readonly models: ModelRegistryService,
    @Inject(DatasetCatalogService) private readonly datasets: DatasetCatalogService,
    @Inject(AuditCommissionService) private readonly commissions: AuditCommissionService,
    @Inject(ReauditScheduler) private readonly scheduler: ReauditScheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async put(modelId: string, body: AuditPlanBody): Promise<AuditPlanRecord> {
    await this.models.get(modelId);
    // The datasets are checked now (they exist, in their role); everything that depends on a version is
    // checked at each re-audit, against that version.
    await this.assertRole(body.membersDatasetId, DatasetRole.Members, 'membersDatasetId');
    await this.assertRole(body.nonMembersDatasetId, DatasetRole.NonMembers, 'nonMembersDatasetId');
    if (body.populationDatasetId !== undefined)
      await this.assertRole(body.populationDatasetId, DatasetRole.Population, 'populationDatasetId');
    const { maxRise, maxReferenceSeconds, reauditOnNewVersion, schedule, ...options } = body;
    const cron = schedule?.trim();
    if (cron !== undefined) {
      const problem = cronScheduleProblem(cron, this.config.MIN_SCHEDULE_INTERVAL_SECONDS);
      if (problem) {
        throw new ServiceError(ServiceErrorCode.InvalidSchedule, `schedule: ${problem}`, { field: 'schedule' });
      }
    }
    const plan = await this.plans.upsert(modelId, {
      options,
      maxRise: maxRise ?? null,
      maxReferenceSeconds: maxReferenceSeconds ?? null,
      reauditOnNewVersion: reauditOnNewVersion ?? true,
      schedule: cron ?? null,
    });
    await this.syncSchedule(modelId, plan.schedule);
    return plan;
  }

  /**
   * Makes the queue's job scheduler match the plan. Postgres holds the truth: if Redis fails here, the api's
   * start-up reconciliation (ScheduledReaudits) repairs it, and the caller learns the schedule is not live yet.
   */
  private async syncSchedule(modelId: string, schedule: string | null): Promise<void> {
    try {
      if (schedule) await this.scheduler.upsert(modelId, schedule, requireTenantId());
      else await this.scheduler.remove(modelId);
    } catch (e) {
      this.logger.error(`could not update the schedule of model ${modelId}: ${(e as Error).message}`);
      throw new ServiceError(
        ServiceErrorCode.QueueUnavailable,
        'the plan is stored but its schedule could not be updated in the queue; retry the request',
      );
    }
  }

  /** Audits the model's latest version under its plan (a schedule's tick, or a registry announcement). */
  async reauditLatest(modelId: string, trigger: AuditTrigger): Promise<ReauditOutcome> {
    const versions = await this.models.listVersions(modelId);
    const latest = versions.reduce<(typeof versions)[number] | undefined>(
      (best, v) => (best === undefined || v.version > best.version ? v : best),
      undefined,
    );
    if (!latest) {
      return {
        status: 'not-queued',
        error: { code: ServiceErrorCode.NotFound, message: `model ${modelId} has no version` },
      };
    }
    return this.reaudit(modelId, latest.id, trigger);
  }

  async get(modelId: string): Promise<AuditPlanRecord> {
    await this.models.get(modelId);
    return foundOrNotFound(await this.plans.find(modelId), `audit plan of model ${modelId}`);
  }

  async delete(modelId: string): Promise<void> {
    await this.models.get(modelId);
    if (!(await this.plans.delete(modelId)))
      throw new ServiceError(ServiceErrorCode.NotFound, `model ${modelId} has no audit plan`);
    await this.syncSchedule(modelId, null);
  }

  /**
   * Commissions an audit of `versionId` under the model's plan. Never throws for a refused commission (the
   * version may not fit the plan's data): the outcome says why, and the caller shows it.
   */
  async reaudit(modelId: string, versionId: string, trigger: AuditTrigger): Promise<ReauditOutcome> {
    const plan = await this.plans.find(modelId);
    if (!plan) return { status: 'no-plan' };
    if (trigger === 'new-version' && !plan.reauditOnNewVersion) return { status: 'disabled' };
    try {
      const audit: AuditRecord = await this.commissions.commission({
        ...(plan.options as unknown as Omit<AuditCommission, 'modelVersionId'>),
        modelVersionId: versionId,
        trigger,
        maxRise: plan.maxRise,
        maxReferenceSeconds: plan.maxReferenceSeconds,
      });
      return { status: 'queued', auditId: audit.id };
    } catch (e) {
      if (e instanceof ServiceError || isEngineError(e)) {
        this.logger.warn(`re-audit of model version ${versionId} (${trigger}) not queued: ${e.code}`);
        return { status: 'not-queued', error: { code: e.code, message: e.message } };
      }
      throw e;
    }
  }

  private async assertRole(id: string, role: DatasetRole, field: string): Promise<void> {
    const dataset = await this.datasets.get(id);
    if (dataset.role !== role) {
      throw new ServiceError(
        ServiceErrorCode.DatasetRoleMismatch,
        `${field} must name a '${role}' dataset; dataset '${dataset.name}' was uploaded as '${dataset.role}'`,
      );
    }
  }
}

/** The plan as clients see it. */
export function auditPlanResource(p: AuditPlanRecord) {
  return {
    modelId: p.modelId,
    ...p.options,
    maxRise: p.maxRise,
    maxReferenceSeconds: p.maxReferenceSeconds,
    reauditOnNewVersion: p.reauditOnNewVersion,
    schedule: p.schedule,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
