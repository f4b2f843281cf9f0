/** One thing a deletion destroyed, as its receipt lists it. Ids and hashes only, never a data value. */
export interface DeletionReceiptItem {
  readonly type:
    | 'dataset'
    | 'data-key'
    | 'reference-model'
    | 'model'
    | 'model-version'
    | 'audit-plan'
    | 'audit'
    | 'findings'
    | 'report'
    /** A file an audit produced (surrogate ONNX, MI-Face CSV/PNG): id = the audit, name = the file's name. */
    | 'artifact'
    /** A model's notification subscription (id; name = the URL's host, never its path). */
    | 'notification-subscription'
    /** The delivery log of a subscription or of an audit (count). */
    | 'notification-deliveries';
  readonly id: string;
  readonly name?: string;
  /** sha256 of the thing's content (a dataset's plaintext, a model file, a report, stored weights). */
  readonly sha256?: string;
  /** Where its bytes were in the blob store (a sealed dataset file, a model file). */
  readonly blobSha256?: string;
  readonly sizeBytes?: number;
  /** The data key that sealed it, and the master key that wrapped that data key. */
  readonly keyId?: string;
  readonly masterKeyId?: string;
  readonly count?: number;
}

export type DeletionSubject = 'dataset' | 'model' | 'model-version' | 'audit';

export type DeletionReason = 'request' | 'retention';

/** What DELETE answers and GET /deletion-receipts/:id reads back: append-only in Postgres. */
export interface DeletionReceipt {
  readonly id: string;
  readonly subjectType: DeletionSubject;
  readonly subjectId: string;
  readonly deletedAt: string;
  /** The API key (or token subject's key id) that asked; null when the retention purge deleted it. */
  readonly deletedBy: string | null;
  /**
   * Why: 'request' (a DELETE route) or 'retention' (the scheduled purge, after `retentionDays`). Absent on receipts
   * written before retention existed (all of them requests).
   */
  readonly reason?: DeletionReason;
  /** The tenant's retention period that expired the subject (reason 'retention' only). */
  readonly retentionDays?: number;
  readonly items: readonly DeletionReceiptItem[];
  /** Blob files removed from storage after the commit (sha256 names). */
  readonly blobsRemoved: readonly string[];
  /** sha256 of this receipt's canonical JSON without this field (RFC 8785 rules). */
  readonly sha256: string;
}

/** Why a deletion was refused: active audits use the subject, or audit plans name it. */
export interface DeletionConflict {
  readonly activeAudits: readonly string[];
  readonly auditPlans: readonly string[];
}

export type DeletionOutcome =
  | { readonly deleted: { readonly items: DeletionReceiptItem[]; readonly unreferencedBlobs: string[] } }
  | { readonly conflict: DeletionConflict }
  | { readonly notFound: true };

/**
 * Deletions, each in one transaction: the subject row locked, refused while something active uses it, then
 * everything derived from it removed and the data keys destroyed (crypto-shredding). The blob files go after the
 * commit (the caller's job): a crash in between leaves sealed files whose keys no longer exist.
 */
export abstract class DataLifecycleRepository {
  abstract deleteDataset(id: string): Promise<DeletionOutcome>;
  abstract deleteModel(id: string): Promise<DeletionOutcome>;
  abstract deleteModelVersion(id: string): Promise<DeletionOutcome>;
  abstract deleteAudit(id: string): Promise<DeletionOutcome>;
  abstract appendReceipt(receipt: DeletionReceipt): Promise<void>;
  /**
   * Retention, in the current tenant: finished audits (succeeded, failed, cancelled) that ended more than
   * `retentionDays` ago (database clock), oldest first, at most `limit`. Kept: active audits, and the latest
   * succeeded audit of each model with an audit plan (the baseline its release gate and diff compare with).
   */
  abstract expiredAudits(retentionDays: number, limit: number): Promise<string[]>;
  /**
   * Retention, in the current tenant: datasets uploaded more than `retentionDays` ago and not used since by any
   * audit (an audit created or finished within the period keeps them), oldest first, at most `limit`. Kept: those
   * an active audit uses, an audit plan names, or a kept baseline audit (above) was run on.
   */
  abstract expiredDatasets(retentionDays: number, limit: number): Promise<string[]>;
  /**
   * Runs `fn` holding the installation-wide retention lock of `tenantId` (a Postgres session advisory lock, freed if
   * the process dies); resolves with null at once, without running it, when another process holds it.
   */
  abstract withRetentionLock<T>(tenantId: string, fn: () => Promise<T>): Promise<T | null>;
  abstract findReceipt(id: string): Promise<DeletionReceipt | null>;
}
