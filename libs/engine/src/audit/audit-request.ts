// What a caller (CLI, worker, tests) asks of one membership audit, and the defaults it gets when silent.

import type { Activation, MlpTrainingOptions } from '../training/mlp';
import type { DuplicatePolicy } from '../data/duplicate-records';
import type { AttackId } from '../types';
import type { KnockoffStrategy } from '../extraction/knockoff-attack';

export interface CsvInput {
  path?: string;
  data?: Buffer;
  /** Shown in messages and reports, e.g. "members.csv". */
  name: string;
}

export interface AuditRequest {
  model: Uint8Array;
  members: CsvInput;
  nonMembers: CsvInput;
  population?: CsvInput;
  labelColumn: string;
  idColumn?: string;
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
