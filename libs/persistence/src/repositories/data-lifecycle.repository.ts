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
    | 'report';
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

/** What DELETE answers and GET /deletion-receipts/:id reads back: append-only in Postgres. */
export interface DeletionReceipt {
  readonly id: string;
  readonly subjectType: DeletionSubject;
  readonly subjectId: string;
  readonly deletedAt: string;
  /** The API key (or token subject's key id) that asked. */
  readonly deletedBy: string | null;
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
  abstract findReceipt(id: string): Promise<DeletionReceipt | null>;
}
