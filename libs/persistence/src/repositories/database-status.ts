/** What readiness asks of the database: does it answer, and is its schema the one this build expects. */
export abstract class DatabaseStatus {
  /** Resolves when a trivial query comes back; rejects otherwise. */
  abstract ping(): Promise<void>;
  /** Migrations this build knows that the database has not applied. */
  abstract pendingMigrations(): Promise<boolean>;
  /**
   * Durations in seconds of the audits that finished, counted per status into cumulative buckets (le), with
   * their sum and count: the job-duration histogram of /metrics, computed from the rows at scrape time.
   */
  abstract auditDurations(buckets: readonly number[]): Promise<AuditDurationBuckets[]>;
  /** Reference models stored (trained once, reused by every audit of the same data and settings). */
  abstract referenceModelsStored(): Promise<number>;
  /** Failed audits per failure code, for /metrics. */
  abstract failuresByCode(): Promise<Array<{ code: string; count: number }>>;
  /** Deletions made by the retention purge, per subject type (from the append-only receipts: only grows). */
  abstract retentionDeletions(): Promise<Array<{ subjectType: string; count: number }>>;
}

export interface AuditDurationBuckets {
  readonly status: string;
  /** Cumulative counts, one per bucket bound, in the order given. */
  readonly le: readonly number[];
  readonly sum: number;
  readonly count: number;
}
