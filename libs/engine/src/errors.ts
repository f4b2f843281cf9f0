// Domain errors with a code. The CLI prints `message` on one line; the API maps `code` to an HTTP status
// in one global filter (apps/api/src/http/domain-exception.filter.ts). Messages never contain raw data
// values: they name files, lines, rows and columns, not cell contents.

export enum EngineErrorCode {
  // model file
  ModelNotOnnx = 'MODEL_NOT_ONNX',
  ModelTruncated = 'MODEL_TRUNCATED',
  ModelExternalData = 'MODEL_EXTERNAL_DATA',
  ModelUnknownOperatorDomain = 'MODEL_UNKNOWN_OPERATOR_DOMAIN',
  ModelUnsupportedSignature = 'MODEL_UNSUPPORTED_SIGNATURE',
  ModelTooLarge = 'MODEL_TOO_LARGE',
  ModelShapeMismatch = 'MODEL_SHAPE_MISMATCH',
  ModelRuntimeFailure = 'MODEL_RUNTIME_FAILURE',
  // the model exceeds a resource limit: graph size, declared or constant shapes, or the audit process's memory / CPU
  ModelResourceLimit = 'MODEL_RESOURCE_LIMIT',
  // CSV data
  CsvEmpty = 'CSV_EMPTY',
  CsvColumnCount = 'CSV_COLUMN_COUNT',
  CsvUnclosedQuote = 'CSV_UNCLOSED_QUOTE',
  CsvDuplicateHeader = 'CSV_DUPLICATE_HEADER',
  CsvMissingColumn = 'CSV_MISSING_COLUMN',
  CsvNotNumeric = 'CSV_NOT_NUMERIC',
  CsvNonFinite = 'CSV_NON_FINITE',
  CsvMissingValue = 'CSV_MISSING_VALUE',
  CsvMalformed = 'CSV_MALFORMED',
  CsvTooLarge = 'CSV_TOO_LARGE',
  CsvDuplicateId = 'CSV_DUPLICATE_ID',
  LabelOutOfRange = 'LABEL_OUT_OF_RANGE',
  CsvUnknownCategory = 'CSV_UNKNOWN_CATEGORY',
  // preprocessing spec (raw tables)
  PreprocessingSpecInvalid = 'PREPROCESSING_SPEC_INVALID',
  // audit request
  MembersNonMembersOverlap = 'MEMBERS_NONMEMBERS_OVERLAP',
  PopulationOverlapsAudit = 'POPULATION_OVERLAPS_AUDIT',
  TooFewRows = 'TOO_FEW_ROWS',
  UnknownAttack = 'UNKNOWN_ATTACK',
  AttackNeedsPopulation = 'ATTACK_NEEDS_POPULATION',
  AttackNeedsScores = 'ATTACK_NEEDS_SCORES',
  BudgetExceeded = 'BUDGET_EXCEEDED',
  InvalidOption = 'INVALID_OPTION',
  // remote (HTTP) targets: targets/http/
  /** The remote target spec is malformed (the message names the field, never a value). */
  InvalidTargetSpec = 'INVALID_TARGET_SPEC',
  /** The destination is refused by the outbound policy (not https, private/loopback/metadata address, ...). */
  TargetDestinationRefused = 'TARGET_DESTINATION_REFUSED',
  /** The endpoint's owner has not proved control of it (token at the well-known path). */
  TargetOwnershipUnproven = 'TARGET_OWNERSHIP_UNPROVEN',
  /** The audit's planned queries exceed its query budget (refused before any request). */
  QueryBudgetExceeded = 'QUERY_BUDGET_EXCEEDED',
  /** The endpoint failed during the audit: timeout, 5xx, malformed or wrong-shaped answer, redirect, too large, ... */
  TargetFailed = 'TARGET_FAILED',
  // a bug in privaudit itself (e.g. an attack produced non-finite scores), not a problem with the input
  Internal = 'INTERNAL',
}

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** Where in the input the problem is, for clients that point at it. Never a data value. */
    readonly location?: {
      readonly file?: string;
      readonly line?: number;
      readonly row?: number;
      readonly column?: string;
      /**
       * The request option at fault, named as the AuditRequest field (`sensitiveColumn`, `queryBudget`, ...), so a
       * caller can point at its own field for it (the API's 422 `details.field`).
       */
      readonly option?: string;
    },
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}
