import { Inject, Injectable } from '@nestjs/common';
import {
  diffAuditReports,
  evaluateRiskGate,
  type AuditReportDiff,
  type RiskGateOutcome,
} from '../../../../libs/reports/src/index';
import { AuditRecord, AuditStatus, ModelAuditHistoryEntry } from '../../../../libs/persistence/src/records';
import { AuditRepository } from '../../../../libs/persistence/src/repositories/audit.repository';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { ModelRegistryService } from '../models/model-registry.service';

/** The release gate on an audit resource: null until the audit succeeded, or when it was commissioned without one. */
export interface AuditGate extends RiskGateOutcome {
  readonly previousAuditId: string | null;
}

export interface AuditDiff extends AuditReportDiff {
  readonly auditId: string;
  readonly previousAuditId: string;
  readonly previousModelVersionId: string;
}

/** A model's audits over its versions, each audit's diff against its predecessor, and the release gate. */
@Injectable()
export class AuditHistoryService {
  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(ModelRegistryService) private readonly models: ModelRegistryService,
  ) {}

  async history(
    modelId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: Array<ModelAuditHistoryEntry & { gate: AuditGate | null }>; total: number }> {
    await this.models.get(modelId);
    const page = await this.audits.listForModel(modelId, limit, offset);
    const items = [];
    for (const entry of page.items) items.push({ ...entry, gate: await this.gate(entry.audit) });
    return { items, total: page.total };
  }

  /**
   * The gate verdict of a succeeded audit commissioned under a plan with maxRise: its risk score against the
   * previous succeeded audit of the same model (any version). A model's first audit passes.
   */
  async gate(audit: AuditRecord): Promise<AuditGate | null> {
    if (audit.maxRise === null || audit.status !== AuditStatus.Succeeded || audit.riskScore === null) return null;
    const previous = await this.audits.findPreviousSucceeded(audit.id);
    return {
      ...evaluateRiskGate(previous?.riskScore ?? null, audit.riskScore, audit.maxRise),
      previousAuditId: previous?.id ?? null,
    };
  }

  /**
   * What changed since the previous succeeded audit of the model. 409 until the audit succeeded; null (the route
   * answers `{previousAuditId: null}`) for a model's first audit.
   */
  async diff(auditId: string): Promise<AuditDiff | null> {
    const audit = foundOrNotFound(await this.audits.findById(auditId), `audit ${auditId}`);
    const current = audit.status === AuditStatus.Succeeded ? await this.audits.findReport(auditId) : null;
    if (!current) {
      throw new ServiceError(
        ServiceErrorCode.AuditNotFinished,
        `audit ${auditId} has no report to compare (status ${audit.status})`,
        { status: audit.status },
      );
    }
    const previous = await this.audits.findPreviousSucceeded(auditId);
    const previousReport = previous ? await this.audits.findReport(previous.id) : null;
    if (!previous || !previousReport) return null;
    return {
      auditId,
      previousAuditId: previous.id,
      previousModelVersionId: previous.modelVersionId,
      ...diffAuditReports(previousReport, current),
    };
  }
}
