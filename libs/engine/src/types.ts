// Shared vocabulary of the engine. Everything here is plain data: no Nest, no database, no queue.

import type { PreprocessingSpec } from './preprocessing/preprocessing-spec';

/** A labelled tabular dataset loaded from CSV. Features are row-major float32, ready for the model. */
export interface LabeledDataset {
  readonly featureNames: readonly string[];
  readonly nRows: number;
  readonly nFeatures: number;
  /** Row-major, length nRows * nFeatures. */
  readonly features: Float32Array;
  /** Class index per row, in [0, numClasses). */
  readonly labels: Int32Array;
  /** Row id per row: the id column's value, or the 1-based data row number when no id column is declared. */
  readonly rowIds: readonly string[];
  /** sha256 (hex) of the source bytes. */
  readonly sha256: string;
  /** Optional sensitive/group column values per row (declared by the user), used for slicing. */
  readonly groups?: readonly string[];
}

export interface CsvSchemaOptions {
  labelColumn: string;
  idColumn?: string;
  /** Feature columns in model order. Default: every column except label, id and group columns, in file order. */
  featureColumns?: readonly string[];
  /** When labels are strings: the class names in class-index order. Never guessed silently. */
  classes?: readonly string[];
  /** A declared sensitive column kept aside (not a feature) for per-group slicing. */
  groupColumn?: string;
  /** Refuse files with more rows than this. */
  maxRows?: number;
  /**
   * A raw table: the spec's columns are read as text and encoded through it (featureColumns is then ignored).
   * The label, id and group columns are read as without a spec; the group column may also be a spec column.
   */
  preprocessing?: PreprocessingSpec;
}

/** What the target model returns, per row (row-major nRows * numClasses). */
export interface TargetOutputs {
  readonly probabilities: Float32Array;
  /** Pre-softmax logits when the graph exposes them (read before a final Softmax), else undefined. */
  readonly logits?: Float32Array;
}

export type OutputKind = 'probabilities' | 'logits' | 'labels';

export interface ModelSignature {
  readonly inputName: string;
  readonly nFeatures: number;
  readonly numClasses: number;
  readonly outputName: string;
  /** What the declared output holds. 'logits' outputs are softmaxed by the target wrapper. */
  readonly outputKind: OutputKind;
  /** Name of the tensor feeding a final Softmax, exposed as an extra output so logits can be read. */
  readonly logitsTensorName?: string;
  readonly opset: number;
  readonly producer?: string;
}

/** A model under audit, as the attacks see it. Implementations: ONNX in-process, later HTTP black box. */
export interface TargetModel {
  readonly signature: ModelSignature;
  /** Query the target on nRows rows of row-major features. */
  predict(features: Float32Array, nRows: number): Promise<TargetOutputs>;
  dispose(): Promise<void>;
  /** Queries spent so far, for targets that meter them (remote endpoints); absent for a local ONNX file. */
  usage?(): QueryUsage;
}

/** What a metered target has spent: one query is one row answered by the endpoint (cache hits are free). */
export interface QueryUsage {
  readonly queriesUsed: number;
  /** The hard per-audit budget, when one applies. */
  readonly queryBudget?: number;
  /** Rows answered from the per-audit cache of identical queries (never spent twice). */
  readonly cacheHits: number;
}

export type MembershipAttackId =
  | 'membership.loss'
  | 'membership.confidence'
  | 'membership.shadow'
  | 'membership.lira'
  | 'membership.lira-offline'
  | 'membership.rmia'
  | 'membership.label-only';

/** Black-box model extraction (libs/engine/src/extraction): steal a working copy through the prediction API. */
export type ExtractionAttackId =
  'extraction.equation-solving' | 'extraction.knockoff' | 'extraction.jacobian' | 'extraction.copycat';

/** Model inversion and attribute inference (libs/engine/src/inversion). */
export type InversionAttackId = 'inversion.attribute' | 'inversion.miface';

/** Every attack family; a finding's `kind` names the family (the id's prefix). */
export type AttackId = MembershipAttackId | ExtractionAttackId | InversionAttackId;
export type AttackFamily = 'membership' | 'extraction' | 'inversion';

/** What an attack needs from the target. A labels-only target cannot serve a 'scores' attack. */
export type TargetAccess = 'scores' | 'labels';

export interface ProgressEvent {
  /** Short machine-readable phase, e.g. 'load', 'query-target', 'attack:membership.loss', 'report'. */
  readonly phase: string;
  /** Overall completion in [0, 1]. */
  readonly fraction: number;
  readonly message?: string;
}
export type ProgressListener = (event: ProgressEvent) => void;

/** Membership scores per record: higher means more likely a member. */
export interface MembershipScores {
  readonly attack: MembershipAttackId;
  readonly members: Float64Array;
  readonly nonMembers: Float64Array;
}

export interface MembershipAttackContext {
  readonly target: TargetModel;
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  /** Target outputs already computed for members / non-members (queried once, shared by all attacks). */
  readonly memberOutputs: TargetOutputs;
  readonly nonMemberOutputs: TargetOutputs;
  readonly seed: number;
  /** Number of reference/shadow models the user asked for. */
  readonly referenceModels: number;
  /** Trains (or loads from cache) reference models on demand; shared by all attacks of one audit. */
  readonly references?: ReferenceModelProvider;
  /** Report progress within this attack, fraction in [0, 1]. */
  readonly onProgress?: (fraction: number, message?: string) => void;
}

/** One attack, one class, one file (ART style). */
export interface MembershipAttack {
  readonly id: MembershipAttackId;
  readonly access: TargetAccess;
  /** Which reference models the attack needs: 'online' (audited records IN for about half), 'offline' (population only), or none. */
  readonly referenceModels: ReferenceMode | 'none';
  /** Paper citation shown in reports. */
  readonly reference: string;
  /**
   * Rows the attack sends to the target beyond the audited records' one query each (shared by all attacks), at
   * most: what a remote target's query budget is checked against before the first query. Absent: none.
   */
  plannedTargetQueries?(audit: { readonly nAudited: number; readonly nPopulation: number }): number;
  run(ctx: MembershipAttackContext): Promise<MembershipScores>;
}

export type ReferenceMode = 'online' | 'offline';

/**
 * K reference models trained on random halves of a record pool. The pool is, in this order:
 * population rows, then members, then non-members (audited rows are only ever IN for 'online' sets).
 */
export interface ReferenceModelSet {
  readonly mode: ReferenceMode;
  readonly k: number;
  readonly nRecords: number;
  readonly nPopulation: number;
  /** inMask[m * nRecords + i] === 1 when pool record i was in reference model m's training set. */
  readonly inMask: Uint8Array;
  /** Logits and probabilities of reference model m on nRows rows (row-major nRows * numClasses). */
  predict(m: number, features: Float32Array, nRows: number): Promise<TargetOutputs>;
  /** Each model's fit on its own training rows (mean cross-entropy, accuracy), when the provider measured it. */
  readonly fit?: ReadonlyArray<{ readonly loss: number; readonly accuracy: number }>;
  /** Training rows per model (the declared or assumed target training-set size, as the pool allows). */
  readonly trainRows?: number;
}

export interface ReferenceModelProvider {
  /** Memoised per mode: LiRA and RMIA of one audit share the same models. */
  obtain(mode: ReferenceMode): Promise<ReferenceModelSet>;
}

export type FprLevel = '0.001' | '0.01';

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/** Members and non-members flagged at one threshold of an attack's scores. */
export interface OperatingCounts {
  readonly tp: number;
  readonly fp: number;
}

export interface MembershipMetrics {
  readonly auc: number;
  /** 95% interval for the AUC (normal approximation, Hanley-McNeil variance floored at the null variance). */
  readonly aucInterval: Interval;
  /** TPR at FPR <= level (the highest TPR reachable without exceeding that FPR). */
  readonly tpr: Record<FprLevel, number>;
  /** 95% Clopper-Pearson intervals for tpr[level]. */
  readonly tprInterval: Record<FprLevel, Interval>;
  /**
   * 95% Clopper-Pearson intervals for the false-positive rate at the threshold behind tpr[level]. With few
   * non-members its upper end lies far above the nominal level: what the sample can actually resolve.
   */
  readonly fprInterval: Record<FprLevel, Interval>;
  /** Members (tp) and non-members (fp) flagged at the threshold behind tpr[level]. */
  readonly operatingCounts: Record<FprLevel, OperatingCounts>;
  readonly balancedAccuracy: number;
  readonly balancedAccuracyInterval: Interval;
  /** Membership advantage: max over thresholds of TPR - FPR. */
  readonly advantage: number;
  /**
   * Empirical epsilon lower bound for the stated delta: 95% overall over a fixed grid of thresholds
   * (Clopper-Pearson, Bonferroni over the grid). A heuristic indicator, not a DP audit: see epsilonNote.
   */
  readonly epsilonLowerBound: number;
  readonly epsilonDelta: number;
  /**
   * Counts at each threshold of the fixed grid the epsilon bound examines, one entry per grid point (so
   * its length is the Bonferroni factor), for recomputing the bound at another confidence.
   */
  readonly epsilonGrid: readonly OperatingCounts[];
  /** What the epsilon bound is and is not, in plain language. */
  readonly epsilonNote: string;
  /** ROC curve points [fpr, tpr], thinned for plotting on log-log axes, always including (0,0) and (1,1). */
  readonly rocPoints: ReadonlyArray<readonly [number, number]>;
  /**
   * Member and non-member score distributions as counts over shared bins (never per-record scores), for the
   * report's histogram chart. Absent in reports written before it existed.
   */
  readonly scoreHistogram?: ScoreHistogram;
  readonly nMembers: number;
  readonly nNonMembers: number;
}

/** Counts of member and non-member scores per bin; `edges` has one more entry than each count array. */
export interface ScoreHistogram {
  readonly edges: readonly number[];
  readonly members: readonly number[];
  readonly nonMembers: readonly number[];
  /** Scores below edges[0] (counted in the first bin) and above the last edge (counted in the last bin). */
  readonly clampedBelow?: number;
  readonly clampedAbove?: number;
  /**
   * 'uniform': bins of equal width over the bulk of the scores; 'quantile': bins holding about equal numbers of
   * all records (scores too skewed for equal widths; tied scores share one wider bin).
   */
  readonly binning?: 'uniform' | 'quantile';
}

/** Identical records under different ids: 'exclude' them from the measurement (default) or 'keep' every row. */
export type DuplicatePolicy = 'exclude' | 'keep';

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';
export type RiskRating = 'low' | 'medium' | 'high' | 'critical';

export interface ExposedRecord {
  readonly rowId: string;
  readonly score: number;
  /** 1 = most exposed. */
  readonly rank: number;
  /**
   * Song & Mittal (2021) privacy risk: posterior probability that the record is a member, calibrated on the
   * offline reference models. Present only when the audit trained offline reference models.
   */
  readonly privacyRisk?: number;
}

/** Leakage measured on one slice (a class or a value of the declared group column); no ROC points. */
export interface SliceLeakage {
  /** Class name (or index) or group value. */
  readonly value: string;
  readonly nMembers: number;
  readonly nNonMembers: number;
  /** Absent when the slice is too small to measure; `note` then says why. */
  readonly metrics?: Pick<MembershipMetrics, 'auc' | 'tpr' | 'tprInterval' | 'advantage'>;
  readonly note?: string;
}

export interface FindingSlices {
  readonly byClass: readonly SliceLeakage[];
  /** Present when a group column was declared. */
  readonly byGroup?: readonly SliceLeakage[];
}

/** What every finding carries, whatever the attack family. */
interface FindingBase {
  /** The attack family (the attack id's prefix). Reports written before extraction existed lack it: membership. */
  readonly kind: AttackFamily;
  readonly attack: AttackId;
  readonly severity: Severity;
  /** Paper citation. */
  readonly reference: string;
  /** Plain-language summary for a privacy officer. */
  readonly summary: string;
}

export interface MembershipFinding extends FindingBase {
  readonly kind: 'membership';
  readonly attack: MembershipAttackId;
  readonly metrics: MembershipMetrics;
  /** The members the attack is most confident about, by row id only (never raw values). */
  readonly mostExposed: readonly ExposedRecord[];
  /** Leakage per class and per group value (when a group column was declared). */
  readonly slices?: FindingSlices;
}

/**
 * A non-membership finding rates itself under its family's documented rule (docs/risk-model.md): `exposure.score`
 * (0-100, the same bands as membership) is what the audit's risk rating compares across families.
 */
export interface FamilyExposure {
  readonly score: number;
  /** Which metric drove the score and why, in plain language. */
  readonly rationale: string;
}

/** One point of the fidelity-versus-queries curve. */
export interface FidelityPoint {
  readonly queries: number;
  readonly fidelity: number;
  readonly fidelityInterval: Interval;
}

export interface ExtractionMetrics {
  /** Label agreement of the surrogate with the target on held-out data (the audited records). */
  readonly fidelity: number;
  readonly fidelityInterval: Interval;
  /** Label agreement on uniform random inputs in the data's range. */
  readonly fidelityUniform: number;
  readonly fidelityUniformInterval: Interval;
  /** The surrogate's accuracy on the held-out data's true labels. */
  readonly surrogateAccuracy: number;
  readonly surrogateAccuracyInterval: Interval;
  readonly queriesUsed: number;
  /** Queries needed to reach each fidelity on held-out data; null where it was not reached. */
  readonly queriesTo: { readonly '0.9': number | null; readonly '0.95': number | null; readonly '0.99': number | null };
  readonly curve: readonly FidelityPoint[];
  readonly nHeldOut: number;
  readonly nUniform: number;
  /** Queries the attack was allowed (the audit's query budget, or less when a metered target had less left). */
  readonly queryBudget?: number;
  /** Fidelity of a constant guess (the target's most frequent held-out label): what fidelity is compared against. */
  readonly baselineFidelity?: number;
  /** Attacker cost: queries x the configured price per query (present when a price was given). */
  readonly cost?: ExtractionCost;
  /** The surrogate's architecture and where it came from (mirrored from the target's ONNX, requested, default). */
  readonly surrogate?: {
    readonly hidden: readonly number[];
    readonly activation: string;
    readonly source: 'mirrored' | 'requested' | 'default' | 'softmax-linear';
  };
  /** How the attack ran or why it stopped short of its budget, in plain language. */
  readonly note?: string;
  /** The output-policy what-if (present when asked for): the same attack against less informative answers. */
  readonly whatIf?: ExtractionWhatIf;
}

export interface ExtractionCost {
  readonly pricePerQuery: number;
  /** queriesUsed x pricePerQuery. */
  readonly total: number;
  /** Price of the queries needed for each fidelity level; null where not reached. */
  readonly to: { readonly '0.9': number | null; readonly '0.95': number | null; readonly '0.99': number | null };
}

/** One output policy's effect on the attacker and on legitimate callers. */
export interface ExtractionPolicyOutcome {
  /** 'full' (the answers as the audit saw them), 'top-k:<k>', 'round:<d>' or 'labels'. */
  readonly policy: string;
  /** Null when the attack cannot run on such answers (equation-solving on labels): `note` says why. */
  readonly fidelity: number | null;
  readonly fidelityInterval: Interval | null;
  readonly queriesUsed: number;
  readonly queriesTo: ExtractionMetrics['queriesTo'];
  /** Price of the queries to 90% fidelity, when a price per query was given; null where not reached. */
  readonly costTo90?: number | null;
  /** What legitimate callers lose, measured on the held-out records' answers. */
  readonly usefulness: {
    /** Share of records whose predicted class the policy leaves unchanged. */
    readonly labelAgreement: number;
    readonly labelAgreementInterval: Interval;
    /** Mean total-variation distance between the full and the policy's probabilities (0 = unchanged, 1 = disjoint). */
    readonly meanProbabilityChange: number;
    /** Brier score of the policy's answers on the true labels, and its increase over the full answers. */
    readonly brierScore: number;
    readonly brierIncrease: number;
  };
  readonly note?: string;
}

export interface ExtractionWhatIf {
  readonly outcomes: readonly ExtractionPolicyOutcome[];
  /** The policy that raises the attacker's cost most (fewest fidelity reached at the most queries). */
  readonly raisesCostMost: string;
  /** One sentence: which policy, how much it costs the attacker, what callers lose. */
  readonly summary: string;
}

export interface ExtractionFinding extends FindingBase {
  readonly kind: 'extraction';
  readonly attack: ExtractionAttackId;
  readonly metrics: ExtractionMetrics;
  readonly exposure: FamilyExposure;
}

/** Attribute inference on one value of the sensitive column (the records whose true value it is). */
export interface AttributeSubgroup {
  readonly value: string;
  readonly nMembers: number;
  readonly nNonMembers: number;
  readonly memberAccuracy: number;
  readonly memberAccuracyInterval: Interval;
  readonly nonMemberAccuracy: number;
  readonly nonMemberAccuracyInterval: Interval;
  readonly baselineAccuracy: number;
  readonly baselineAccuracyInterval: Interval;
  /** Member accuracy minus the baseline's on the same members. */
  readonly advantage: number;
}

/**
 * Attribute inference (inversion/attribute-inference-attack.ts): how often the sensitive value of a record is
 * recovered from the target's answers, against a model-free baseline on the same records. Accuracies carry
 * 95% Clopper-Pearson intervals; differences carry 95% seeded bootstrap intervals ([lower, upper]).
 */
export interface AttributeInferenceMetrics {
  readonly type: 'attribute-inference';
  /** The declared sensitive column (a raw column of the preprocessing spec, or a model input). */
  readonly sensitiveColumn: string;
  /** 'confidence': the target's probability of the true label (Fredrikson MAP); 'label-only': labels only (Mehnaz et al.). */
  readonly variant: 'confidence' | 'label-only';
  readonly candidates: number;
  readonly memberAccuracy: number;
  readonly memberAccuracyInterval: Interval;
  readonly nonMemberAccuracy: number;
  readonly nonMemberAccuracyInterval: Interval;
  /** The model-free baseline on the members: the better of the prior and the imputation model (baselineKind). */
  readonly baselineAccuracy: number;
  readonly baselineAccuracyInterval: Interval;
  /** The same baseline on the non-members. */
  readonly nonMemberBaselineAccuracy: number;
  readonly nonMemberBaselineAccuracyInterval: Interval;
  readonly baselineKind: 'prior' | 'imputation';
  readonly priorAccuracy: number;
  readonly priorAccuracyInterval: Interval;
  readonly imputationAccuracy: number;
  readonly imputationAccuracyInterval: Interval;
  /** Member accuracy minus the baseline's on the same members, and its 95% interval [lower, upper]. */
  readonly advantage: number;
  readonly advantageCi: readonly [number, number];
  readonly nonMemberAdvantage: number;
  readonly nonMemberAdvantageCi: readonly [number, number];
  /** Member accuracy minus non-member accuracy, and its 95% interval: leakage shows here. */
  readonly memberGap: number;
  readonly memberGapCi: readonly [number, number];
  /** The evidence the severity reads (docs/risk-model.md): the smaller lower bound, corrected for multiplicity. */
  readonly leakageLowerBound: number;
  readonly leakageConfidence: number;
  readonly nMembers: number;
  readonly nNonMembers: number;
  /** Audited records left out because their sensitive value is missing or not a candidate. */
  readonly recordsWithoutValue: number;
  readonly queriesUsed: number;
  readonly bySensitiveValue: readonly AttributeSubgroup[];
}

/** One class's reconstruction (inversion/miface-attack.ts). */
export interface ClassReconstruction {
  readonly classIndex: number;
  readonly className: string;
  /** Which of the class's reconstructions (0: from the population mean; 1..: from means of a few random population records). */
  readonly restart?: number;
  /** The target's confidence in the class for the reconstruction. */
  readonly confidence: number;
  /** Recognised as its class by the independently trained classifier. */
  readonly recognised: boolean;
  /** Mean distance to the class's k nearest members, and to its k nearest non-members / population rows. */
  readonly memberDistance: number;
  readonly nonMemberDistance: number;
  /** The CSV (and PNG for image-shaped inputs) written under --inversion-out, file names only. */
  readonly files?: readonly string[];
  /**
   * For image-shaped inputs: the synthesised reconstruction itself (never a real record), row-major 0-255
   * grey or RGB pixel values, so reports can draw it from the report JSON alone.
   */
  readonly image?: ReconstructionImage;
}

export interface ReconstructionImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: readonly number[];
}

/** MI-Face (Fredrikson, Jha, Ristenpart, CCS 2015): reconstructions per class and how much they reveal. */
export interface ModelInversionMetrics {
  readonly type: 'model-inversion';
  /** 'white-box': exact gradients through the rebuilt graph; 'black-box': zeroth-order estimates (NES). */
  readonly gradients: 'white-box' | 'black-box';
  /** Why the gradients are what they are: the operators rebuilt, or why the graph could not be (black-box fallback). */
  readonly gradientsNote?: string;
  readonly classes: number;
  /** Reconstructions per class (different start points); the intervals below treat each class as one cluster. */
  readonly restarts?: number;
  /** Share of reconstructions an independently trained classifier assigns to the intended class. */
  readonly recognisability: number;
  /**
   * With several restarts per class: Clopper-Pearson on the effective sample size (reconstructions / design effect,
   * the restarts of a class being correlated; inversion/clustered-proportion.ts).
   */
  readonly recognisabilityInterval: Interval;
  readonly recognisabilityDesignEffect?: number;
  /** What chance would give (1 / classes). */
  readonly chance: number;
  /** Share of reconstructions closer to their class's nearest members than to its nearest non-members. */
  readonly closerToMembers: number;
  /** Clustered by class as recognisabilityInterval is. */
  readonly closerToMembersInterval: Interval;
  readonly closerToMembersDesignEffect?: number;
  /**
   * One-sided sign test of "closer to members" with one test unit per class: the class's mean member distance
   * minus mean non-member distance over its restarts (exact binomial p-value over the classes).
   */
  readonly closerToMembersPValue: number;
  /** Classes whose mean reconstruction distance is smaller to members than to non-members, of classesCompared. */
  readonly classesCloserToMembers?: number;
  readonly classesCompared?: number;
  readonly meanMemberDistance: number;
  readonly meanNonMemberDistance: number;
  readonly queriesUsed: number;
  readonly reconstructions: readonly ClassReconstruction[];
}

export type InversionMetrics = AttributeInferenceMetrics | ModelInversionMetrics;

export interface InversionFinding extends FindingBase {
  readonly kind: 'inversion';
  readonly attack: InversionAttackId;
  /** Attack-specific metrics (inversion/): every proportion with a 95% interval. */
  readonly metrics: InversionMetrics;
  readonly exposure: FamilyExposure;
  /** Attribute inference: the members whose value is recovered most confidently, by row id only. */
  readonly mostExposed?: readonly ExposedRecord[];
}

export type Finding = MembershipFinding | ExtractionFinding | InversionFinding;

export interface RiskAssessment {
  readonly score: number;
  readonly rating: RiskRating;
  /** Which finding drove the score and why, in plain language. */
  readonly rationale: string;
}

export interface DatasetDigest {
  readonly sha256: string;
  readonly rows: number;
}

/** What the reference models of an audit cost: planned before training, counted during the run. */
export interface ReferenceCost {
  /** Reference model sets the requested attacks need (one per mode, K models each). */
  readonly sets: ReadonlyArray<{ readonly mode: ReferenceMode; readonly k: number }>;
  /**
   * Models the plan may train: every model of every set. An upper bound, because the cache is not probed
   * before the run; modelsTrained says what was actually trained.
   */
  readonly modelsToTrain: number;
  /** Estimated training seconds for modelsToTrain (the figure the budget guard compares). */
  readonly estimatedSeconds: number;
  /** Epochs per model the estimate assumes: a number, or 'auto' priced at maxEpochs (its cap). */
  readonly epochs?: number | 'auto';
  readonly maxEpochs?: number;
  /** Models loaded from the reference-model cache during the run (absent in a plan). */
  readonly modelsCached?: number;
  /** Models trained during the run (absent in a plan). */
  readonly modelsTrained?: number;
}

export interface AuditReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'privaudit'; readonly version: string };
  readonly createdAt: string;
  readonly target: {
    readonly sha256: string;
    /** 'onnx': a model file privaudit ran itself (sha256 of its bytes); 'http': a remote prediction endpoint. */
    readonly format: 'onnx' | 'http';
    readonly nFeatures: number;
    readonly numClasses: number;
    readonly outputKind: OutputKind;
    /**
     * A remote target (format 'http'): where it was queried (origin and path, never credentials or a query
     * string), its protocol and what its answers held. sha256 is then that of its spec without secrets
     * (targets/http/remote-target-spec.ts remoteTargetSha256).
     */
    readonly endpoint?: {
      readonly origin: string;
      readonly path: string;
      readonly protocol: 'kserve-v2' | 'tf-serving' | 'mlflow' | 'json';
      readonly outputKind: OutputKind;
    };
  };
  readonly data: {
    readonly members: DatasetDigest;
    readonly nonMembers: DatasetDigest;
    readonly population?: DatasetDigest;
    readonly labelColumn: string;
    readonly idColumn?: string;
    /**
     * Present when every row id in this report (most exposed records of every finding) is a pseudonym:
     * "ps_" + the first 32 hex digits of HMAC-SHA256(key, utf-8 id), under the key named by keyId (a hash of the
     * key, never the key). Only the key holder can map ids to pseudonyms (docs/cli.md, "Pseudonymised row ids").
     */
    readonly pseudonymizedIds?: { readonly scheme: 'hmac-sha256-128'; readonly keyId: string };
    /** Class names in class-index order, when labels were strings. */
    readonly classes?: readonly string[];
    /** The declared sensitive/group column findings are sliced by. */
    readonly groupColumn?: string;
    /**
     * Identical records (same features and label) under different ids (data/duplicate-records.ts): the policy,
     * non-members identical to a member, population rows identical to an audited record, repeats within each
     * file, and the rows the policy left out (0 under 'keep').
     */
    readonly duplicates?: {
      readonly policy: DuplicatePolicy;
      readonly nonMembersMatchingMembers: number;
      readonly populationMatchingAudited: number;
      readonly withinMembers: number;
      readonly withinNonMembers: number;
      readonly withinPopulation: number;
      readonly excludedNonMembers: number;
      readonly excludedPopulation: number;
    };
    /** Present when the data were raw tables encoded through a preprocessing spec (docs/preprocessing.md). */
    readonly preprocessing?: {
      /** The spec's file name as given. */
      readonly name: string;
      /** sha256 of the spec's bytes. */
      readonly sha256: string;
      /** Raw columns the spec reads. */
      readonly features: number;
      /** Model inputs it encodes them into (the model's input width). */
      readonly inputs: number;
    };
  };
  readonly config: {
    readonly attacks: readonly AttackId[];
    readonly seed: number;
    readonly referenceModels: number;
    /** How reference models were trained, when the caller set it (part of their cache keys). */
    readonly referenceTraining?: {
      readonly epochs?: number;
      readonly batchSize?: number;
      readonly learningRate?: number;
      readonly l2?: number;
    };
    /**
     * How reference models were fitted: the training-set size they used, their epochs ('auto' = until they fit
     * their own training rows as tightly as the target fits the members, at most maxEpochs), the target's fit on
     * the members and the references' mean fit on their training rows. Present when reference models were used.
     */
    readonly referenceFit?: {
      readonly trainSize: number;
      readonly epochs: number | 'auto';
      readonly maxEpochs?: number;
      readonly target?: { readonly loss: number | null; readonly accuracy: number };
      readonly references?: ReadonlyArray<{
        readonly mode: ReferenceMode;
        readonly meanLoss: number;
        readonly meanAccuracy: number;
        readonly trainRows?: number;
      }>;
    };
    /** The reference architecture the caller chose (absent: mirrored from the target or the default). */
    readonly referenceArchitecture?: { readonly hidden: readonly number[]; readonly activation: string };
    /** Present when an attack needed reference models. */
    readonly referenceCost?: ReferenceCost;
    /**
     * A remote target's queries (one query = one row sent): planned before the first request, spent in this run
     * (retries included, cache hits excluded), spent by earlier runs of the same audit (a resumed job), the hard
     * budget, rows answered from the per-audit cache, and HTTP requests sent.
     */
    readonly queries?: {
      readonly planned: number;
      readonly used: number;
      readonly spentBefore: number;
      readonly budget: number;
      readonly cacheHits: number;
      readonly requests: number;
    };
    /** How the inversion attacks were asked to run, when any ran (the rerun command repeats it). */
    readonly inversion?: {
      /** inversion.attribute's sensitive column. */
      readonly sensitiveColumn?: string;
      /** The cap on rows the inversion attacks could send the target. */
      readonly queryBudget?: number;
      /** inversion.miface's reconstructions per class, when set. */
      readonly restarts?: number;
    };
    /** The what-if output policy the target's answers were put through ('labels', 'top-k:3', 'round:2'). */
    readonly outputPolicy?: string;
    /**
     * Present when no population file was given: the stronger reference-model attacks a population would have
     * enabled. Without them an audit can under-report (the LOSS attack finds few members at low FPR).
     */
    readonly attacksNeedingPopulation?: readonly AttackId[];
  };
  readonly findings: readonly Finding[];
  readonly risk: RiskAssessment;
}
