import { Inject, Injectable, Logger } from '@nestjs/common';
import { createMembershipAttack } from '../../../../libs/engine/src/membership/attack-registry';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import { DEFAULT_REFERENCE_MODELS, DEFAULT_SEED } from '../../../../libs/engine/src/audit/run-audit';
import type { AttackId } from '../../../../libs/engine/src/types';
import { AuditRecord, AuditStatus, DatasetRecord, DatasetRole, FindingRecord } from '../../../../libs/persistence/src/records';
import { ActiveAuditExistsError, AuditRepository } from '../../../../libs/persistence/src/repositories/audit.repository';
import { AuditQueue } from '../../../../libs/queue/src/audit-queue';
import type { AuditReport } from '../../../../libs/engine/src/types';
import { DatasetCatalogService, featureColumnsOf } from '../datasets/dataset-catalog.service';
import { ServiceError, ServiceErrorCode } from '../http/service-error';
import { ModelRegistryService } from '../models/model-registry.service';

export interface AuditCommission {
  readonly modelVersionId: string;
  readonly membersDatasetId: string;
  readonly nonMembersDatasetId: string;
  readonly populationDatasetId?: string;
  readonly attacks?: AttackId[];
  readonly seed?: number;
  readonly referenceModels?: number;
}

@Injectable()
export class AuditCommissionService {
  private readonly logger = new Logger(AuditCommissionService.name);

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(AuditQueue) private readonly queue: AuditQueue,
    @Inject(ModelRegistryService) private readonly models: ModelRegistryService,
    @Inject(DatasetCatalogService) private readonly datasets: DatasetCatalogService,
  ) {}

  /**
   * Checks everything that can be checked without running the model (roles, columns, feature count,
   * population for reference-model attacks), then inserts the queued audit and enqueues its job.
   */
  async commission(c: AuditCommission): Promise<AuditRecord> {
    const version = await this.models.getVersion(c.modelVersionId);
    const members = await this.datasetWithRole(c.membersDatasetId, DatasetRole.Members, 'membersDatasetId');
    const nonMembers = await this.datasetWithRole(c.nonMembersDatasetId, DatasetRole.NonMembers, 'nonMembersDatasetId');
    const population = c.populationDatasetId
      ? await this.datasetWithRole(c.populationDatasetId, DatasetRole.Population, 'populationDatasetId')
      : undefined;
    const all = [members, nonMembers, ...(population ? [population] : [])];

    for (const d of all) {
      if (d.labelColumn !== members.labelColumn || d.idColumn !== members.idColumn) {
        throw new ServiceError(
          ServiceErrorCode.DatasetColumnsMismatch,
          `dataset '${d.name}' declares label/id columns (${d.labelColumn}/${d.idColumn ?? 'none'}) that differ from the members dataset (${members.labelColumn}/${members.idColumn ?? 'none'})`,
        );
      }
      const features = featureColumnsOf(d);
      if (features.length !== version.signature.nFeatures) {
        throw new EngineError(
          EngineErrorCode.ModelShapeMismatch,
          `model expects ${version.signature.nFeatures} features, dataset '${d.name}' has ${features.length} feature columns`,
          { file: d.name },
        );
      }
    }
    const attacks = c.attacks ?? null;
    if (attacks && !population) {
      const needing = attacks.filter((id) => createMembershipAttack(id).referenceModels !== 'none');
      if (needing.length > 0) {
        throw new EngineError(EngineErrorCode.AttackNeedsPopulation, `${needing.join(', ')} train reference models on population data; give populationDatasetId`);
      }
    }

    let audit: AuditRecord;
    try {
      audit = await this.audits.createQueued({
        modelVersionId: version.id,
        membersDatasetId: members.id,
        nonMembersDatasetId: nonMembers.id,
        populationDatasetId: population?.id ?? null,
        attacks,
        seed: c.seed ?? DEFAULT_SEED,
        referenceModels: c.referenceModels ?? (population ? DEFAULT_REFERENCE_MODELS : null),
      });
    } catch (e) {
      if (e instanceof ActiveAuditExistsError) {
        throw new ServiceError(
          ServiceErrorCode.AuditAlreadyActive,
          `model version ${version.id} already has a queued or running audit${e.existingAuditId ? ` (${e.existingAuditId})` : ''}`,
          { existingAuditId: e.existingAuditId },
        );
      }
      throw e;
    }
    try {
      await this.queue.enqueueMembershipAudit(audit.id);
    } catch (e) {
      this.logger.error(`could not enqueue audit ${audit.id}: ${(e as Error).message}`);
      await this.audits.markFailed(audit.id, { code: ServiceErrorCode.QueueUnavailable, reason: 'the job queue was unavailable when the audit was commissioned' });
      throw new ServiceError(ServiceErrorCode.QueueUnavailable, 'the job queue is unavailable; try again later', { auditId: audit.id });
    }
    return audit;
  }

  async get(id: string): Promise<AuditRecord> {
    const audit = await this.audits.findById(id);
    if (!audit) throw new ServiceError(ServiceErrorCode.NotFound, `audit ${id} not found`);
    return audit;
  }

  async cancel(id: string): Promise<AuditRecord> {
    await this.get(id);
    const previous = await this.audits.markCancelled(id);
    if (previous === null) throw new ServiceError(ServiceErrorCode.AuditNotActive, `audit ${id} is not queued or running`);
    // A running audit is stopped by its worker, which sees the cancelled status at its next progress write.
    if (previous === AuditStatus.Queued) await this.queue.removeWaiting(id).catch(() => false);
    return this.get(id);
  }

  async findings(id: string): Promise<FindingRecord[]> {
    await this.get(id);
    return this.audits.listFindings(id);
  }

  async report(id: string): Promise<AuditReport> {
    const audit = await this.get(id);
    const report = audit.status === AuditStatus.Succeeded ? await this.audits.findReport(id) : null;
    if (!report) throw new ServiceError(ServiceErrorCode.AuditNotFinished, `audit ${id} has no report (status ${audit.status})`, { status: audit.status });
    return report;
  }

  private async datasetWithRole(id: string, role: DatasetRole, field: string): Promise<DatasetRecord> {
    const dataset = await this.datasets.get(id);
    if (dataset.role !== role) {
      throw new ServiceError(ServiceErrorCode.DatasetRoleMismatch, `${field} must name a '${role}' dataset; dataset '${dataset.name}' was uploaded as '${dataset.role}'`);
    }
    return dataset;
  }
}
