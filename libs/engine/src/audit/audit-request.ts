// What a caller (CLI, worker, tests) asks of one membership audit, and the defaults it gets when silent.

import type { Activation, MlpTrainingOptions } from '../training/mlp';
import type { DuplicatePolicy } from '../data/duplicate-records';
import { EngineError, EngineErrorCode } from '../errors';
import type { AttackId } from '../types';
import type { OutboundPolicy } from '../targets/http/outbound-policy';
import type { QueryLedger } from '../targets/http/query-ledger';
import type { RemoteTargetSpec } from '../targets/http/remote-target-spec';
import type { KnockoffStrategy } from '../extraction/knockoff-attack';

export interface CsvInput {
  path?: string;
  data?: Buffer;
  /** Shown in messages and reports, e.g. "members.csv". */
  name: string;
}

/** How an audit of a remote target may use the network (targets/http/outbound-policy.ts; defaults there). */
export interface AuditOutboundOptions extends Partial<OutboundPolicy> {
  /** Where spending is recorded (default: in memory). The service passes its Postgres ledger. */
  ledger?: QueryLedger;
  /** The token the endpoint's owner serves at the well-known path (needed unless the host is allow-listed). */
  ownershipToken?: string;
}

export interface AuditRequest {
  /** The ONNX model file's bytes. Exactly one of `model` and `remoteTarget`. */
  model?: Uint8Array;
  /** A black-box prediction endpoint (targets/http/). Exactly one of `model` and `remoteTarget`. */
  remoteTarget?: RemoteTargetSpec;
  /** Limits and safety rules for a remote target's requests (ignored for a model file). */
  outbound?: AuditOutboundOptions;
  members: CsvInput;
  nonMembers: CsvInput;
  population?: CsvInput;
  labelColumn: string;
  idColumn?: string;
  /**
   * Pseudonymise every row id (data/row-id-pseudonyms.ts): with this key (at least 32 bytes) each id is replaced,
   * right after the data are loaded, by "ps_" + 32 hex digits of HMAC-SHA256(key, id); the report records the
   * key's id only (data.pseudonymizedIds). Absent: row ids appear as given.
   */
  pseudonymKey?: Uint8Array;
  classes?: string[];
  /**
   * Number of classes the model distinguishes. Required for a labels-only model (an integer class-index
   * output holds no class count); `classes` implies it. For a scores model it must match the output width.
   */
  numClasses?: number;
  /**
   * Audit the target as if its API answered less: 'labels' (argmax only), 'top-k:<k>' (k largest
   * probabilities), 'round:<d>' (probabilities rounded to d decimals). See targets/output-policy.ts.
   * Under 'labels' (or a labels-only model) the default attack is membership.label-only and score attacks
   * named explicitly are refused.
   */
  outputPolicy?: string;
  /**
   * Identical records (same features and label) under different ids: 'exclude' (default) leaves non-members
   * identical to a member out of the scoring and the reference pool, and population rows identical to an audited
   * record out of the population; 'keep' audits every row as given. Counted in the report either way.
   */
  duplicates?: DuplicatePolicy;
  /** A declared sensitive column (not a feature): findings are sliced by its values. */
  groupColumn?: string;
  /**
   * The CSVs are raw tables (string categories, missing cells, unscaled numbers): each row is encoded into the
   * model's inputs through this preprocessing spec (JSON bytes; docs/preprocessing.md). Its label column must
   * be labelColumn; its label classes apply when `classes` is not given.
   */
  preprocessing?: { name: string; data: Uint8Array };
  attacks?: AttackId[];
  /**
   * inversion.attribute: the sensitive column whose value is inferred. With a preprocessing spec, a raw column of
   * the spec (categorical or ordinal); without one, a model input column with at most 20 distinct values.
   */
  sensitiveColumn?: string;
  /** The most rows the inversion attacks may send the target (one row = one query); default: no cap of their own. */
  inversionQueryBudget?: number;
  /** inversion.miface: write every reconstruction here (CSV rows of model inputs, PNGs for image-shaped inputs). */
  inversionOutDir?: string;
  /** inversion.miface: reconstructions per class, from different start points (default 3). */
  inversionRestarts?: number;
  seed?: number;
  referenceModels?: number;
  topExposed?: number;
  maxModelBytes?: number;
  /** Directory of the reference-model cache: re-audits of the same data and settings train nothing. */
  referenceCacheDir?: string;
  /** Refuse, before any training, an audit whose reference models are estimated to take longer than this. */
  maxReferenceSeconds?: number;
  /**
   * Reference models trained together in one graph (part of each model's cache key). Default: the provider's
   * choice for K. The service sets 1, the value its distributed reference-model jobs train with.
   */
  modelsPerGraph?: number;
  /**
   * How reference models are trained (epochs, learning rate, batch size, L2). They should be trained the way
   * the target was: LiRA compares the target's confidence with IN/OUT references, and references fitted much
   * less tightly than the target make members look like outliers. Default: DEFAULT_REFERENCE_TRAINING, with
   * epochs 'auto' when no epochs are given: each model trains until it fits its training rows as tightly as the
   * target fits the members (training/target-fit.ts), at most AUTO_REFERENCE_MAX_EPOCHS.
   */
  referenceTraining?: Partial<Omit<MlpTrainingOptions, 'seed' | 'onEpoch'>>;
  /**
   * Size of the target's training set, when the members file holds only part of it: reference models train on
   * sets of this size (Carlini et al. 2022; Zarifzadeh et al. 2024). Default: the number of members.
   */
  targetTrainSize?: number;
  /**
   * Hidden layer widths of the reference models ([] = multinomial logistic regression). Default: mirrored from the
   * target's ONNX graph when it is a plain MLP, else one hidden layer of 64.
   */
  referenceHidden?: number[];
  /** Activation of the reference models' hidden layers (with referenceHidden); default relu. */
  referenceActivation?: Activation;
  /**
   * Queries each extraction attack may send to the target (one query = one row), and each output-policy what-if
   * re-run of it; a metered target's own remaining budget caps it further. Default DEFAULT_QUERY_BUDGET (10000).
   */
  queryBudget?: number;
  /** Price of one query, for the attacker-cost figures of extraction findings (any currency; omitted: no cost). */
  queryPrice?: number;
  /** Re-run each extraction attack as if the API answered top-1, top-3, rounded (2, 3, 4 decimals) or labels only. */
  extractionWhatIf?: boolean;
  /** How extraction.knockoff picks its natural queries: 'random' (default) or 'adaptive' (the paper's bandit). */
  knockoffStrategy?: KnockoffStrategy;
}

export const DEFAULT_SEED = 0;
/** RMIA is strong with 1-4 reference models (Zarifzadeh et al. 2024); LiRA wants more, asked for explicitly. */
export const DEFAULT_REFERENCE_MODELS = 4;
/** Below this, per-side membership metrics are noise (a 95% interval on a TPR spans more than +-15 points). */
export const MIN_AUDIT_ROWS = 30;
/** Reference/shadow models need enough population rows to train on half of them. */
export const MIN_POPULATION_ROWS = 50;

/** Which target the request names: exactly one of a model file and a remote endpoint, else a clear error. */
export function auditTargetKind(req: Pick<AuditRequest, 'model' | 'remoteTarget'>): 'onnx' | 'http' {
  if (req.model !== undefined && req.remoteTarget !== undefined) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      'the audit names both a model file and a remote target; give exactly one (--model or --target-url)',
    );
  }
  if (req.model !== undefined) return 'onnx';
  if (req.remoteTarget !== undefined) return 'http';
  throw new EngineError(
    EngineErrorCode.InvalidOption,
    'the audit names no target; give a model file (--model) or a remote target (--target-url)',
  );
}

/** The model file's bytes of a request that must name one (reference-model jobs, the ONNX path). */
export function modelBytesOf(req: Pick<AuditRequest, 'model' | 'remoteTarget'>): Uint8Array {
  if (auditTargetKind(req) !== 'onnx' || req.model === undefined) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      'this step needs a model file, but the audit names a remote target',
    );
  }
  return req.model;
}
