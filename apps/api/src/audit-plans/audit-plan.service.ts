import { Inject, Injectable, Logger } from '@nestjs/common';
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
  ) {}

  async put(modelId: string, body: AuditPlanBody): Promise<AuditPlanRecord> {
    await this.models.get(modelId);
    // The datasets are checked now (they exist, in their role); everything that depends on a version is
    // checked at each re-audit, against that version.
    await this.assertRole(body.membersDatasetId, DatasetRole.Members, 'membersDatasetId');
    await this.assertRole(body.nonMembersDatasetId, DatasetRole.NonMembers, 'nonMembersDatasetId');
    if (body.populationDatasetId !== undefined)
      await this.assertRole(body.populationDatasetId, DatasetRole.Population, 'populationDatasetId');
    const { maxRise, maxReferenceSeconds, reauditOnNewVersion, ...options } = body;
    return this.plans.upsert(modelId, {
      options,
      maxRise: maxRise ?? null,
      maxReferenceSeconds: maxReferenceSeconds ?? null,
      reauditOnNewVersion: reauditOnNewVersion ?? true,
      schedule: null,
    });
  }

  async get(modelId: string): Promise<AuditPlanRecord> {
    await this.models.get(modelId);
    return foundOrNotFound(await this.plans.find(modelId), `audit plan of model ${modelId}`);
  }

  async delete(modelId: string): Promise<void> {
    await this.models.get(modelId);
    if (!(await this.plans.delete(modelId)))
      throw new ServiceError(ServiceErrorCode.NotFound, `model ${modelId} has no audit plan`);
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
