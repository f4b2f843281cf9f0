import { EngineErrorCode } from '../../../../libs/engine/src/errors';
import { ServiceErrorCode } from './service-error';

/** HTTP status per error code. Exhaustive records: adding a code without a status fails to compile. */
export const SERVICE_ERROR_STATUS: Readonly<Record<ServiceErrorCode, number>> = {
  [ServiceErrorCode.Unauthenticated]: 401,
  [ServiceErrorCode.Forbidden]: 403,
  [ServiceErrorCode.ValidationFailed]: 400,
  [ServiceErrorCode.NotFound]: 404,
  [ServiceErrorCode.PayloadTooLarge]: 413,
  [ServiceErrorCode.UnsupportedMediaType]: 415,
  [ServiceErrorCode.UploadAborted]: 400,
  [ServiceErrorCode.DatasetRoleMismatch]: 422,
  [ServiceErrorCode.DatasetColumnsMismatch]: 422,
  [ServiceErrorCode.AuditAlreadyActive]: 409,
  [ServiceErrorCode.AuditNotActive]: 409,
  [ServiceErrorCode.AuditNotFinished]: 409,
  [ServiceErrorCode.QueueUnavailable]: 503,
  [ServiceErrorCode.BudgetExceeded]: 422,
  [ServiceErrorCode.PreprocessingAlreadySet]: 409,
  [ServiceErrorCode.LastAdminKey]: 409,
  [ServiceErrorCode.ApiKeyNotActive]: 409,
  [ServiceErrorCode.SigningNotConfigured]: 404,
  [ServiceErrorCode.InvalidSchedule]: 422,
  [ServiceErrorCode.WrongModelVersionKind]: 422,
  [ServiceErrorCode.SecretsUnavailable]: 503,
  [ServiceErrorCode.QueryBudgetTooLarge]: 422,
  [ServiceErrorCode.DataEncryptionUnavailable]: 503,
  [ServiceErrorCode.StoredDataUnreadable]: 500,
  [ServiceErrorCode.ResourceInUse]: 409,
  [ServiceErrorCode.TenantQuotaExceeded]: 429,
  [ServiceErrorCode.TenantNameTaken]: 409,
  [ServiceErrorCode.PseudonymKeyMissing]: 422,
};

// Engine errors are problems with the caller's model or data (422) unless listed here. A default keeps the
// api building when the engine adds codes; the listed exceptions are the ones that are not the caller's data.
const ENGINE_ERROR_STATUS_EXCEPTIONS: ReadonlyMap<string, number> = new Map([
  [EngineErrorCode.ModelTooLarge, 413],
  [EngineErrorCode.CsvTooLarge, 413],
  [EngineErrorCode.Internal, 500],
  // The remote endpoint, not the caller's request, failed: a bad gateway.
  [EngineErrorCode.TargetFailed, 502],
]);

export function engineErrorStatus(code: EngineErrorCode): number {
  return ENGINE_ERROR_STATUS_EXCEPTIONS.get(code) ?? 422;
}
