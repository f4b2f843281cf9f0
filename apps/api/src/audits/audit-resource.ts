import type { AuditArtifactRecord, AuditRecord, FindingRecord } from '../../../../libs/persistence/src/records';
import type { AuditGate } from './audit-history.service';

/** The audit as clients see it: status machine queued -> running -> succeeded | failed | cancelled. */
export function auditResource(
  a: AuditRecord,
  referenceModelProgress: { stored: number; total: number } | null = null,
  gate: AuditGate | null = null,
) {
  return {
    id: a.id,
    modelVersionId: a.modelVersionId,
    membersDatasetId: a.membersDatasetId,
    nonMembersDatasetId: a.nonMembersDatasetId,
    populationDatasetId: a.populationDatasetId,
    attacks: a.attacks,
    seed: a.seed,
    referenceModels: a.referenceModels,
    groupColumn: a.groupColumn,
    /** Reference-model training options given at commission (null: the engine's defaults). */
    referenceTraining: a.referenceTraining,
    /** Class names of string labels in the model's output order (null: labels are class indices). */
    classes: a.classes,
    /** What the audited API is taken to answer (null: full scores). */
    outputPolicy: a.outputPolicy,
    /** Reference-model hidden widths and activation given at commission (null: mirrored or the default). */
    referenceHidden: a.referenceHidden,
    referenceActivation: a.referenceActivation,
    /** Identical records under different ids: 'exclude' (the default when null) or 'keep'. */
    duplicates: a.duplicates ?? 'exclude',
    /** What the finished audit found: twins across and within roles, and what the policy left out (null until done). */
    duplicateRecords: a.duplicateRecords,
    /** The target's declared training-set size; null = the member count. Reference models train on sets of it. */
    targetTrainSize: a.targetTrainSize,
    /** Priced at commission: reference models needed, to train (not yet stored), cached, estimated seconds. */
    estimate: a.estimate,
    /** Endpoint audits: the hard query budget; a model file: each extraction run's budget (null: none given). */
    queryBudget: a.queryBudget,
    /** Queries spent so far, earlier attempts included, recorded as each request is answered. */
    queriesUsed: a.queriesUsed,
    // The extraction and inversion options given at commission (null: not given, the engine's defaults).
    queryPrice: a.attackOptions?.queryPrice ?? null,
    extractionWhatIf: a.attackOptions?.extractionWhatIf ?? null,
    knockoffStrategy: a.attackOptions?.knockoffStrategy ?? null,
    sensitiveColumn: a.attackOptions?.sensitiveColumn ?? null,
    inversionQueries: a.attackOptions?.inversionQueries ?? null,
    /** Row ids in the findings and report are pseudonyms under the tenant's key (the report names the key's id). */
    pseudonymizeIds: a.attackOptions?.pseudonymizeIds === true,
    status: a.status,
    progress: a.progress,
    phase: a.phase,
    /** Reference models stored so far of those the audit needs (trained by its jobs or earlier audits). */
    referenceModelProgress,
    failure: a.failureCode ? { code: a.failureCode, reason: a.failureReason } : null,
    risk: a.riskScore !== null ? { score: a.riskScore, rating: a.riskRating } : null,
    /** sha256 of the report's canonical JSON without its signature (stored with the report; `privaudit verify` prints it). */
    reportSha256: a.reportSha256,
    /** What commissioned it: 'manual' (POST /audits), 'new-version', 'schedule' or 'webhook' (the model's plan). */
    trigger: a.trigger,
    /**
     * Release gate (audits under a plan with maxRise, once succeeded): {passed, rise, maxRise, previousAuditId,
     * reason}, the risk score against the previous succeeded audit of the model. Null otherwise.
     */
    gate,
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

/** An audit's file as clients see it; the bytes are at GET /audits/:id/artifacts/:name. */
export function artifactResource(a: AuditArtifactRecord) {
  return {
    name: a.name,
    kind: a.kind,
    mediaType: a.mediaType,
    sha256: a.sha256,
    bytes: a.bytes,
    createdAt: a.createdAt,
  };
}
