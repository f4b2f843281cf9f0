// Errors of the service layer (not the engine's): each carries a code the global filter maps to a status.

export enum ServiceErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  ValidationFailed = 'VALIDATION_FAILED',
  NotFound = 'NOT_FOUND',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  UploadAborted = 'UPLOAD_ABORTED',
  DatasetRoleMismatch = 'DATASET_ROLE_MISMATCH',
  DatasetColumnsMismatch = 'DATASET_COLUMNS_MISMATCH',
  AuditAlreadyActive = 'AUDIT_ALREADY_ACTIVE',
  AuditNotActive = 'AUDIT_NOT_ACTIVE',
  AuditNotFinished = 'AUDIT_NOT_FINISHED',
  QueueUnavailable = 'QUEUE_UNAVAILABLE',
  /** The audit's reference-model training is estimated over MAX_REFERENCE_SECONDS. */
  BudgetExceeded = 'BUDGET_EXCEEDED',
  /** A model version's preprocessing spec is set once; a different one needs a new version. */
  PreprocessingAlreadySet = 'PREPROCESSING_ALREADY_SET',
  /** Revoking or rotating away the last active admin key would lock every admin out. */
  LastAdminKey = 'LAST_ADMIN_KEY',
  /** The key is revoked or expired: it cannot be rotated. */
  ApiKeyNotActive = 'API_KEY_NOT_ACTIVE',
  /** The service has no report-signing key (REPORT_SIGNING_KEY_FILE unset): nothing to sign or publish. */
  SigningNotConfigured = 'SIGNING_NOT_CONFIGURED',
  /** An audit plan's cron schedule is malformed or fires too often. */
  InvalidSchedule = 'INVALID_SCHEDULE',
  /** The request needs an endpoint version (ownership proof) or a file version (preprocessing, ...). */
  WrongModelVersionKind = 'WRONG_MODEL_VERSION_KIND',
  /** Endpoint auth secrets cannot be stored or read: SECRETS_ENCRYPTION_KEY is unset or does not match. */
  SecretsUnavailable = 'SECRETS_UNAVAILABLE',
  /** An audit's queryBudget is above MAX_QUERY_BUDGET. */
  QueryBudgetTooLarge = 'QUERY_BUDGET_TOO_LARGE',
  /** DATA_ENCRYPTION_KEY is unset (nothing is stored in clear), or a data key's master key is not configured. */
  DataEncryptionUnavailable = 'DATA_ENCRYPTION_UNAVAILABLE',
  /** A stored sealed file failed its integrity check (modified, truncated) or its key was destroyed. */
  StoredDataUnreadable = 'STORED_DATA_UNREADABLE',
  /** A deletion refused: an active audit uses the thing (details: the audits), or an audit plan names it. */
  ResourceInUse = 'RESOURCE_IN_USE',
  /** The tenant's monthly quota of reference-model seconds or endpoint queries would be exceeded. */
  TenantQuotaExceeded = 'TENANT_QUOTA_EXCEEDED',
  /** POST /tenants: the name is taken. */
  TenantNameTaken = 'TENANT_NAME_TAKEN',
  /** An audit asks for pseudonymised row ids (pseudonymizeIds, or the tenant's default) but the tenant has no key. */
  PseudonymKeyMissing = 'PSEUDONYM_KEY_MISSING',
}

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    /** Machine-readable extras for the client (ids, limits). Never raw data values. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** The record looked up, or a NotFound error naming it (`what`, e.g. "dataset <id>"). */
export function foundOrNotFound<T>(record: T | null | undefined, what: string): T {
  if (!record) throw new ServiceError(ServiceErrorCode.NotFound, `${what} not found`);
  return record;
}
