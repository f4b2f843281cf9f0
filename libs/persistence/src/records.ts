// What the services see of stored things: plain data, no TypeORM types.
import type { AuditReport, ModelSignature, RiskRating, Severity } from '../../engine/src/types';

export enum ApiKeyRole {
  Admin = 'admin',
  /** Registers models and data, commissions audits. */
  PrivacyOfficer = 'privacy_officer',
  /** Reads audits and reports, changes nothing. */
  Auditor = 'auditor',
}

export enum DatasetRole {
  Members = 'members',
  NonMembers = 'non-members',
  Population = 'population',
}

export enum AuditStatus {
  Queued = 'queued',
  Running = 'running',
  Succeeded = 'succeeded',
  Failed = 'failed',
  Cancelled = 'cancelled',
}

export const ACTIVE_AUDIT_STATUSES: readonly AuditStatus[] = [AuditStatus.Queued, AuditStatus.Running];

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  /** First characters of the key, stored in clear for lookup; the rest only as a sha256. */
  readonly prefix: string;
  readonly hash: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  /** After this instant the key answers 401 (null: never). */
  readonly expiresAt: Date | null;
  /** Last successful authentication (updated at most once a minute). */
  readonly lastUsedAt: Date | null;
  /** The key that replaced this one in a rotation. */
  readonly rotatedTo: string | null;
  /** The tenant the key acts for: it sees that tenant's rows only. */
  readonly tenantId: string;
  /** The installation's admin (the bootstrap key): may create tenants (POST /tenants). */
  readonly installationAdmin: boolean;
}

export interface TenantRecord {
  readonly id: string;
  readonly name: string;
  /** Per-tenant quotas per calendar month (UTC); null = the installation's default (TENANT_*_PER_MONTH). */
  readonly referenceSecondsPerMonth: number | null;
  readonly queriesPerMonth: number | null;
  readonly createdAt: Date;
  /** Days after which its datasets and finished audits are purged; null = the installation's default. */
  readonly retentionDays: number | null;
}

export interface ModelRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: Date;
}

export interface ModelVersionRecord {
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly signature: ModelSignature;
  /**
   * Classes declared at upload (a labels-only model needs them: its output holds class indices only); null =
   * the model's output width. signature.numClasses equals it when declared.
   */
  readonly numClasses: number | null;
  /** Class names declared at upload, in the model's output order (string labels); null = none declared. */
  readonly classNames: readonly string[] | null;
  /** The preprocessing spec its audits encode raw tables with; null = they take already-numeric data. */
  readonly preprocessing: ModelVersionPreprocessing | null;
  /** 'onnx': an uploaded file (sha256 = the file's); 'endpoint': a remote prediction API (sha256 = its spec's hash). */
  readonly kind: ModelVersionKind;
  /** The endpoint's public description (kind 'endpoint'); its secrets are stored apart, encrypted. */
  readonly endpoint: EndpointDescription | null;
  /** The token the owner of a host that is not allow-listed serves to prove control (kind 'endpoint'). */
  readonly ownershipToken: string | null;
  /** When that proof last succeeded; null = not proven. */
  readonly ownershipVerifiedAt: Date | null;
  readonly createdAt: Date;
}

export type ModelVersionKind = 'onnx' | 'endpoint';

/**
 * A remote endpoint as the service shows and stores it in clear: the engine's RemoteTargetSpec minus its
 * secrets (header values, the URL's query string), plus the declared feature count.
 */
export interface EndpointDescription {
  /** origin + path: no credentials, query string or fragment. */
  readonly url: string;
  readonly protocol: 'kserve-v2' | 'tf-serving' | 'mlflow' | 'json';
  readonly output: 'probabilities' | 'logits' | 'labels';
  /** Auth header names (lower case), never their values. */
  readonly headerNames: readonly string[];
  /** Whether the URL had a query string (kept with the secrets: it may hold an API key). */
  readonly hasQueryString: boolean;
  readonly modelName?: string;
  readonly inputName?: string;
  readonly json?: { readonly requestTemplate: unknown; readonly responsePath: string };
  readonly batchSize?: number;
  /** Features per row the endpoint takes (the datasets' feature count is checked against it). */
  readonly nFeatures: number;
}

/** A model version's preprocessing spec: the bytes are a blob (by sha256); this is what they declare. */
export interface ModelVersionPreprocessing {
  /** sha256 of the spec's bytes, the blob's key (also recorded in every audit report). */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** Raw columns the spec reads, in first-use order. */
  readonly rawColumns: readonly string[];
  /** Model inputs it encodes them into (the version's input width). */
  readonly inputs: number;
  readonly labelColumn: string;
  /** The spec's label classes, when it declares them. */
  readonly classes?: readonly string[];
}

export interface DatasetColumn {
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string';
  readonly missing: number;
  /** NaN / Infinity cells, when there are any (the column is numeric; the audit refuses them). */
  readonly nonFinite?: number;
}

export interface DatasetRecord {
  readonly id: string;
  readonly name: string;
  readonly role: DatasetRole;
  readonly labelColumn: string;
  readonly idColumn: string | null;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly rows: number;
  readonly columns: readonly DatasetColumn[];
  /** The data key its file is sealed under (docs/security.md); null: stored before encryption at rest. */
  readonly keyId: string | null;
  /** sha256 of the sealed file in the blob store (sha256 above is the plaintext's); null with keyId. */
  readonly blobSha256: string | null;
  readonly createdAt: Date;
}

export interface AuditRecord {
  readonly id: string;
  readonly modelVersionId: string;
  readonly membersDatasetId: string;
  readonly nonMembersDatasetId: string;
  readonly populationDatasetId: string | null;
  readonly attacks: readonly string[] | null;
  readonly seed: number;
  readonly referenceModels: number | null;
  /** A declared sensitive column: findings are sliced by it; it is not a model feature. */
  readonly groupColumn: string | null;
  /** How its reference models are trained (part of their cache keys); null = the engine's defaults. */
  readonly referenceTraining: ReferenceTraining | null;
  /** Class names of string labels, in the model's output order; null when labels are class indices. */
  readonly classes: readonly string[] | null;
  /** What the audited API is taken to answer ('labels', 'top-k:<k>', 'round:<d>'); null = full scores. */
  readonly outputPolicy: string | null;
  /** Hidden layer widths of its reference models; null = mirrored from the target or the engine's default. */
  readonly referenceHidden: readonly number[] | null;
  /** Activation of those hidden layers (with referenceHidden); null = relu. */
  readonly referenceActivation: ReferenceActivation | null;
  /** Identical records under different ids: 'exclude' or 'keep'; null = the engine's default ('exclude'). */
  readonly duplicates: DuplicatePolicy | null;
  /** The target's declared training-set size (reference models train on sets of it); null = the member count. */
  readonly targetTrainSize: number | null;
  /** What a finished audit found: identical records under different ids and what its policy left out (null until it finishes). */
  readonly duplicateRecords: DuplicateRecordCounts | null;
  /** What the audit's reference models were priced at when it was commissioned (null before this existed). */
  readonly estimate: AuditEstimate | null;
  /** Cache keys of every reference model the audit uses (null/empty when no attack needs them). */
  readonly referenceModelKeys: readonly string[] | null;
  /** Hard cap on the queries an endpoint audit may spend (null for an ONNX file: nothing is metered). */
  readonly queryBudget: number | null;
  /** Queries spent so far, earlier attempts included (recorded as each request is answered). */
  readonly queriesUsed: number;
  /** Options of the extraction.* and inversion.* attacks given at commission; null = none (the engine's defaults). */
  readonly attackOptions: AuditAttackOptions | null;
  readonly status: AuditStatus;
  readonly progress: number;
  readonly phase: string | null;
  readonly failureCode: string | null;
  readonly failureReason: string | null;
  readonly riskScore: number | null;
  readonly riskRating: RiskRating | null;
  /** sha256 of the stored report's canonical JSON (without its signature); set with the report, null before. */
  readonly reportSha256: string | null;
  /** What commissioned it: a user (POST /audits), a new model version, the plan's schedule, a registry webhook. */
  readonly trigger: AuditTrigger;
  /** The release gate it was commissioned under (the plan's maxRise then), in risk points; null = no gate. */
  readonly maxRise: number | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly updatedAt: Date;
}

export type ReferenceActivation = 'relu' | 'tanh' | 'sigmoid';

export type AuditTrigger = 'manual' | 'new-version' | 'schedule' | 'webhook';

/**
 * A model's audit plan: how each of its re-audits is commissioned. `options` are the POST /audits fields but
 * modelVersionId, as validated by the api (stored as given; checked again against each version at commission).
 */
export interface AuditPlanRecord {
  readonly modelId: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** Release gate: an audit whose risk score rose by more than this over the previous audit fails it. */
  readonly maxRise: number | null;
  /** A per-plan budget for reference-model training (seconds), on top of MAX_REFERENCE_SECONDS. */
  readonly maxReferenceSeconds: number | null;
  readonly reauditOnNewVersion: boolean;
  /** A cron expression (5 or 6 fields, UTC); null = no schedule. */
  readonly schedule: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set by the installation-wide listScheduled only (the schedule's tick runs in this tenant). */
  readonly tenantId?: string;
}

/** One row of a model's audit history. */
export interface ModelAuditHistoryEntry {
  readonly audit: AuditRecord;
  readonly modelVersion: number;
}

export type DuplicatePolicy = 'exclude' | 'keep';

/** The report's data.duplicates. */
export type DuplicateRecordCounts = NonNullable<AuditReport['data']['duplicates']>;

/** Reference-model training options an audit overrides (the engine's AuditRequest.referenceTraining). */
export interface ReferenceTraining {
  readonly epochs?: number;
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly l2?: number;
}

export interface AuditEstimate {
  /** Reference models the audit needs in all (K per mode its attacks use). */
  readonly modelsTotal: number;
  /** Not yet stored when commissioned: one reference-model job each. */
  readonly modelsToTrain: number;
  /** Already stored (trained by an earlier audit of the same data, architecture and seed). */
  readonly modelsCached: number;
  /** modelsToTrain x the engine's measured per-model training time for this data and architecture. */
  readonly estimatedSeconds: number;
}

export interface FindingRecord {
  readonly id: string;
  readonly auditId: string;
  readonly attack: string;
  readonly severity: Severity;
  readonly reference: string;
  readonly summary: string;
  /** Aggregate metrics only (AUC, TPR at low FPR, intervals, ROC points): never per-record values. */
  readonly metrics: Record<string, unknown>;
  /** Row ids and ranks of the most exposed members: never raw record values. */
  readonly mostExposed: ReadonlyArray<{ rowId: string; score: number; rank: number }>;
  readonly createdAt: Date;
}

export type StoredAuditReport = AuditReport;

/**
 * Options of the extraction and inversion attacks, named as POST /audits takes them (the CLI's flags in camelCase:
 * --query-price, --extraction-what-if, --knockoff-strategy, --sensitive-column, --inversion-queries).
 */
export interface AuditAttackOptions {
  /** Price of one query, for the attacker-cost figures of extraction findings. */
  readonly queryPrice?: number;
  /** Re-run each extraction attack behind every output policy (top-1, top-3, rounded, labels). */
  readonly extractionWhatIf?: boolean;
  readonly knockoffStrategy?: 'random' | 'adaptive';
  /** inversion.attribute: the sensitive column whose value is inferred. */
  readonly sensitiveColumn?: string;
  /** The most rows the inversion attacks may send the target. */
  readonly inversionQueries?: number;
  /**
   * Row ids are pseudonymised under the tenant's pseudonym key (resolved at commission: the request's
   * pseudonymizeIds, else the tenant's default). The worker passes the key to the audit's child over IPC.
   */
  readonly pseudonymizeIds?: boolean;
}

export type AuditArtifactKind = 'surrogate-onnx' | 'reconstruction-csv' | 'reconstruction-png';

/** A file an audit produced; its bytes are the blob `sha256`. */
export interface AuditArtifactRecord {
  readonly auditId: string;
  /** File name, unique within the audit (e.g. surrogate.onnx, miface-class-3.png). */
  readonly name: string;
  readonly kind: AuditArtifactKind;
  readonly mediaType: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly createdAt: Date;
}

/** What an outbound notification announces (issue 9). */
export const NOTIFICATION_EVENTS = [
  'audit.completed',
  'audit.failed',
  'audit.rating_changed',
  'audit.gate_failed',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** A model's notification subscription. The signing secret is kept sealed and never leaves the repository's callers. */
export interface NotificationSubscriptionRecord {
  readonly id: string;
  readonly modelId: string;
  readonly url: string;
  readonly events: readonly NotificationEvent[];
  readonly createdAt: Date;
}

export type NotificationDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One notification to one subscription: its id is the delivery id the receiver sees. Never the payload. */
export interface NotificationDeliveryRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly auditId: string;
  readonly event: NotificationEvent;
  readonly status: NotificationDeliveryStatus;
  readonly attempts: number;
  /** Why the last attempt failed: 'HTTP_STATUS' (see lastHttpStatus), or the outbound layer's error code. */
  readonly lastErrorCode: string | null;
  readonly lastHttpStatus: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deliveredAt: Date | null;
}

/** A finished audit not yet announced, with what its notifications need. */
export interface AuditToAnnounce {
  readonly auditId: string;
  readonly tenantId: string;
  readonly modelId: string;
  readonly status: AuditStatus.Succeeded | AuditStatus.Failed;
}
