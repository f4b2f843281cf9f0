import type { AuditReport } from '../../../engine/src/types';
import type {
  AuditEstimate,
  AuditRecord,
  AuditStatus,
  FindingRecord,
  ReferenceActivation,
  DuplicatePolicy,
  ReferenceTraining,
  AuditTrigger,
  ModelAuditHistoryEntry,
  AuditAttackOptions,
  AuditArtifactRecord,
} from '../records';

export interface NewAudit {
  readonly modelVersionId: string;
  readonly membersDatasetId: string;
  readonly nonMembersDatasetId: string;
  readonly populationDatasetId: string | null;
  readonly attacks: readonly string[] | null;
  readonly seed: number;
  readonly referenceModels: number | null;
  readonly groupColumn?: string | null;
  readonly referenceTraining?: ReferenceTraining | null;
  readonly classes?: readonly string[] | null;
  readonly outputPolicy?: string | null;
  readonly referenceHidden?: readonly number[] | null;
  readonly referenceActivation?: ReferenceActivation | null;
  readonly duplicates?: DuplicatePolicy | null;
  readonly targetTrainSize?: number | null;
  readonly estimate?: AuditEstimate | null;
  readonly referenceModelKeys?: readonly string[] | null;
  readonly trigger?: AuditTrigger;
  readonly maxRise?: number | null;
  /** Endpoint audits: the hard query budget; a model file with extraction attacks: each extraction run's budget. */
  readonly queryBudget?: number | null;
  /** Options of the extraction and inversion attacks. */
  readonly attackOptions?: AuditAttackOptions | null;
}

/** A file an audit produced, already adopted by the blob store under its sha256. */
export type NewAuditArtifact = Omit<AuditArtifactRecord, 'auditId' | 'createdAt'>;

/** Thrown by createQueued when the model version already has a queued or running audit. */
export class ActiveAuditExistsError extends Error {
  constructor(readonly existingAuditId: string | null) {
    super('an audit of this model version is already queued or running');
    this.name = 'ActiveAuditExistsError';
  }
}

/**
 * Audits and their findings. State changes are conditional updates (only from the states they may leave),
 * so a late worker cannot overwrite a cancellation and a retried job cannot finish an audit twice.
 */
export abstract class AuditRepository {
  /** Inserts a queued audit; the partial unique index turns a concurrent duplicate into ActiveAuditExistsError. */
  abstract createQueued(input: NewAudit): Promise<AuditRecord>;
  abstract findById(id: string): Promise<AuditRecord | null>;
  /**
   * The audit (as findById) and how many of its reference models are stored of how many it needs (null when it
   * trains none), read in one statement: GET /audits/:id.
   */
  abstract findWithReferenceProgress(
    id: string,
  ): Promise<{ audit: AuditRecord; referenceModels: { stored: number; total: number } | null } | null>;
  abstract findActiveForModelVersion(modelVersionId: string): Promise<AuditRecord | null>;
  /** queued|running -> running. False when the audit is finished or cancelled (nothing to do). */
  abstract markRunning(id: string): Promise<boolean>;
  /**
   * The audit's time left, in ms (negative once overdue), measured on Postgres' clock: the deadline is recorded at
   * the first call (now + timeoutSeconds) and kept by every later one, so all jobs of the audit share it. Null when
   * the audit is no longer queued or running.
   */
  abstract timeLeftMs(id: string, timeoutSeconds: number): Promise<number | null>;
  /** Fails active audits past their deadline (AUDIT_TIMEOUT), at most `limit`; resolves with their ids. */
  abstract failOverdue(limit: number, reason: string): Promise<string[]>;
  /** Writes progress while running; returns the audit's status afterwards (so the caller sees a cancellation). */
  abstract recordProgress(id: string, progress: number, phase: string): Promise<AuditStatus | null>;
  /**
   * Findings, report, its sha256 (tamper evidence: the canonical content hash the caller computed) and risk in
   * one transaction; findings upserted on (audit_id, attack). False if no longer running.
   */
  abstract completeWithReport(
    id: string,
    report: AuditReport,
    reportSha256: string,
    /** The files the audit produced (blobs already stored), recorded in the same transaction. */
    artifacts?: readonly NewAuditArtifact[],
  ): Promise<boolean>;
  /** The audit's files, by name. */
  abstract listArtifacts(auditId: string): Promise<AuditArtifactRecord[]>;
  abstract findArtifact(auditId: string, name: string): Promise<AuditArtifactRecord | null>;
  abstract markFailed(id: string, failure: { code: string; reason: string }): Promise<boolean>;
  /** queued|running -> cancelled; returns the status it left, or null when it was not active. */
  abstract markCancelled(id: string): Promise<AuditStatus | null>;
  /** running -> queued, used when a worker hands an unfinished audit back at shutdown. */
  abstract requeue(id: string, phase: string): Promise<boolean>;
  /**
   * Queued or running audits not updated for minAgeMs (by the database's clock, so a skewed worker clock
   * changes nothing), oldest first, a page at a time: the repair loop's candidates.
   */
  abstract listStaleActive(
    minAgeMs: number,
    limit: number,
    offset?: number,
  ): Promise<Array<{ id: string; status: AuditStatus; tenantId: string }>>;
  /**
   * What the current tenant's audits commissioned since `since` cost (its quotas, per calendar month): estimated
   * reference-model seconds of every audit but those cancelled before they started, and queries (the budget of an
   * active endpoint audit, what a finished one spent).
   */
  abstract tenantUsageSince(since: Date): Promise<{ referenceSeconds: number; queries: number }>;
  /**
   * Installation-wide: the tenant an audit belongs to (a failed job's listener and a job queued before tenants
   * know only the audit id). Null when there is no such audit.
   */
  abstract tenantOfAudit(id: string): Promise<string | null>;
  /** Number of audits per status (every status present, zero included), for /metrics. */
  abstract countByStatus(): Promise<Record<AuditStatus, number>>;
  /**
   * Adds queries an endpoint audit is about to send, durably; returns the new total, or null when the audit does
   * not exist or they would take it over its query budget (several jobs of one audit may spend at once: the
   * budget holds across all of them). Null stops the sender before anything unrecorded is sent.
   */
  abstract recordQueries(id: string, queries: number): Promise<number | null>;
  /** Queries the audit spent so far (earlier attempts included); null when it does not exist. */
  abstract queriesUsed(id: string): Promise<number | null>;
  abstract listFindings(auditId: string): Promise<FindingRecord[]>;
  abstract findReport(auditId: string): Promise<AuditReport | null>;
  /** A model's audits over all its versions, newest first (created_at, then id), a page at a time, and the total. */
  abstract listForModel(
    modelId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: ModelAuditHistoryEntry[]; total: number }>;
  /**
   * The audit's predecessor: the newest succeeded audit of the same model (any version) commissioned before
   * it. Null for a model's first audit.
   */
  abstract findPreviousSucceeded(auditId: string): Promise<AuditRecord | null>;
}
