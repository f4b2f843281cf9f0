import type { AuditRecord, FindingRecord } from '../../../../libs/persistence/src/records';

/** The audit as clients see it: status machine queued -> running -> succeeded | failed | cancelled. */
export function auditResource(a: AuditRecord) {
  return {
    id: a.id,
    modelVersionId: a.modelVersionId,
    membersDatasetId: a.membersDatasetId,
    nonMembersDatasetId: a.nonMembersDatasetId,
    populationDatasetId: a.populationDatasetId,
    attacks: a.attacks,
    seed: a.seed,
    referenceModels: a.referenceModels,
    status: a.status,
    progress: a.progress,
    phase: a.phase,
    failure: a.failureCode ? { code: a.failureCode, reason: a.failureReason } : null,
    risk: a.riskScore !== null ? { score: a.riskScore, rating: a.riskRating } : null,
    createdAt: a.createdAt,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
  };
}

export function findingResource(f: FindingRecord) {
  return {
    attack: f.attack,
    severity: f.severity,
    summary: f.summary,
    reference: f.reference,
    metrics: f.metrics,
    mostExposed: f.mostExposed,
  };
}
