// Everything an audit settles before it runs the model: options, the untrusted model's signature, the
// data (loaded, checked against the model and against each other) and the reference models it will need
// with their cost. Shared by runAudit and planAudit, so a dry run refuses exactly what a run would.

import { createHash } from 'node:crypto';
import { loadLabeledCsv } from '../data/csv-dataset';
import {
  DEFAULT_DUPLICATE_POLICY,
  DUPLICATE_POLICIES,
  type DuplicateRecords,
  parseDuplicatePolicy,
  resolveDuplicateRecords,
} from '../data/duplicate-records';
import { pseudonymizeRowIds, pseudonymKeyId, type PseudonymizedIds, PSEUDONYM_SCHEME } from '../data/row-id-pseudonyms';
import { assertDistinctRowIds, assertEnoughRows, type RoleDataset } from '../data/membership-split-checks';
import { EngineError, EngineErrorCode } from '../errors';
import { assertKnownAttack, createMembershipAttack, defaultScoreAttacks } from '../membership/attack-registry';
import type { InversionAttack } from '../inversion/inversion-attack';
import { createInversionAttack, isInversionAttackId } from '../inversion/inversion-registry';
import { resolveSensitiveAttribute } from '../inversion/sensitive-attribute';
import { MIFACE_SETTINGS } from '../inversion/miface-attack';
import type { ExtractionAttack } from '../extraction/extraction-attack';
import { createExtractionAttack, isExtractionAttack } from '../extraction/extraction-registry';
import { KNOCKOFF_STRATEGIES } from '../extraction/knockoff-attack';
import { DEFAULT_QUERY_BUDGET, UNIFORM_EVALUATION_ROWS, whatIfPolicies } from '../extraction/run-extraction';
import { resolveOutboundPolicy } from '../targets/http/outbound-policy';
import { planTargetQueries, type TargetQueryPlan, withExtractionQueries } from './query-plan';
import { surrogateArchitecture } from '../extraction/surrogate';
import { DEFAULT_TOP_EXPOSED } from '../report/build-report';
import { assertCompatible, inspectOnnx } from '../targets/onnx-inspection';
import { assertPolicyFitsModel, type OutputPolicy, parseOutputPolicy } from '../targets/output-policy';
import type {
  AttackId,
  CsvSchemaOptions,
  LabeledDataset,
  MembershipAttack,
  ModelSignature,
  ReferenceCost,
  TargetAccess,
} from '../types';
import {
  type AuditRequest,
  type CsvInput,
  DEFAULT_REFERENCE_MODELS,
  DEFAULT_SEED,
  MIN_AUDIT_ROWS,
  MIN_POPULATION_ROWS,
  auditTargetKind,
  modelBytesOf,
} from './audit-request';
import { remoteSignature } from '../targets/http/http-target';
import { parseRemoteTargetSpec, type RemoteTargetSpec, remoteTargetSha256 } from '../targets/http/remote-target-spec';
import type { MlpArchitecture } from '../training/mlp';
import { assertSpecFitsModel, type PreprocessingSpec } from '../preprocessing/preprocessing-spec';
import { resolveAuditPreprocessing } from './audit-preprocessing';
import {
  estimateAuditReferenceCost,
  referenceSetsFor,
  requestedReferenceArchitecture,
  type ReferenceSetPlan,
} from './reference-plan';

export interface PreparedAudit {
  readonly seed: number;
  readonly referenceModels: number;
  readonly topExposed: number;
  readonly attackIds: AttackId[];
  /** The membership attacks among attackIds. */
  readonly attacks: MembershipAttack[];
  /** The requested inversion attacks (inversion/), run after the membership attacks. */
  readonly inversionAttacks: InversionAttack[];
  /** The extraction attacks among attackIds (extraction/), run after the membership attacks. */
  readonly extractionAttacks: ExtractionAttack[];
  /** Queries each extraction attack may send (and each what-if policy re-run). */
  readonly queryBudget: number;
  /** Attack queries the extraction attacks may send in all (budget x attacks x runs per attack). */
  readonly extractionQueries: number;
  /** The surrogates' architecture: requested (--reference-hidden), mirrored from the target's ONNX, or the default. */
  readonly surrogate?: ReturnType<typeof surrogateArchitecture>;
  /** The model's own signature, as read from the file (before any output policy). */
  readonly signature: ModelSignature;
  /** The declared number of classes, passed on to the model runtime (needed by labels-only models). */
  readonly numClasses?: number;
  /** The what-if output policy the target is wrapped in, when one was asked for. */
  readonly outputPolicy?: OutputPolicy;
  /** True when the audited answers are labels only (a labels-only model, or the 'labels' policy). */
  readonly labelsOnly: boolean;
  readonly targetSha256: string;
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  /** Identical records under different ids: what was found, and what the policy left out (data/duplicate-records.ts). */
  readonly duplicates: DuplicateRecords;
  /** Empty when no attack needs reference models. */
  readonly referenceSets: ReferenceSetPlan[];
  /** Undefined when no attack needs reference models. */
  readonly referenceCost?: ReferenceCost;
  /** The reference architecture the caller asked for; undefined = mirror the target (the provider's default). */
  readonly referenceArchitecture?: MlpArchitecture;
  /** Training rows the reference models aim for: the declared target training-set size, else the member count. */
  readonly referenceTrainSize: number;
  /** The caller's epochs, or 'auto' (train each reference model until it fits as tightly as the target). */
  readonly referenceEpochs: number | 'auto';
  /** Class names in effect: the request's, else its preprocessing spec's. */
  readonly classes?: readonly string[];
  /** The spec the raw tables were encoded through, when the request gave one. */
  readonly preprocessing?: PreprocessingSpec;
  /** The endpoint audited, when the target is remote (parsed and checked; headers are secrets). */
  readonly remoteTarget?: RemoteTargetSpec;
  /**
   * A remote target: the queries the audit sends at most, planned once after duplicates were left out, and already
   * checked against the audit's hard budget (HttpTarget checks it again against what earlier runs spent).
   */
  readonly queryPlan?: TargetQueryPlan;
  /** Present when every row id was replaced by its pseudonym as the data were loaded (req.pseudonymKey). */
  readonly pseudonymizedIds?: PseudonymizedIds;
}

export interface PrepareSteps {
  /** Called as each step starts. */
  onStep?: (step: 'inspect' | 'load', message: string) => void;
  /** Throws when the audit was cancelled; called between steps. */
  checkAbort?: () => void;
  /**
   * Refuse (QUERY_BUDGET_EXCEEDED) a remote target's plan over its query budget (default true). planAudit (the CLI's
   * --dry-run) shows such a plan instead, marked as refused.
   */
  enforceQueryBudget?: boolean;
}

export async function prepareAudit(req: AuditRequest, steps: PrepareSteps = {}): Promise<PreparedAudit> {
  const checkAbort = steps.checkAbort ?? (() => undefined);
  const seed = req.seed ?? DEFAULT_SEED;
  const referenceModels = req.referenceModels ?? DEFAULT_REFERENCE_MODELS;
  validateOptions(req, seed, referenceModels);
  const outputPolicy = req.outputPolicy !== undefined ? parseOutputPolicy(req.outputPolicy) : undefined;
  const { spec: preprocessing, classes } = resolveAuditPreprocessing(req);
  const numClasses = req.numClasses ?? classes?.length;
  const requested = req.attacks && req.attacks.length > 0 ? [...new Set(req.attacks)] : undefined;
  // Unknown ids are refused before the model is even read.
  requested?.forEach((id) => assertKnownAttack(id));
  const inversionAttacks = (requested ?? []).filter(isInversionAttackId).map((id) => createInversionAttack(id));
  assertInversionOptions(req, inversionAttacks);

  checkAbort();
  const kind = auditTargetKind(req);
  steps.onStep?.('inspect', kind === 'onnx' ? 'inspecting model' : 'checking the remote target spec');
  const remote = kind === 'http' ? parseRemoteTargetSpec(req.remoteTarget, 'remote target') : undefined;
  const remoteClasses = remote ? resolveRemoteClasses(remote, req.numClasses, classes) : undefined;
  const effectiveClasses = classes ?? remoteClasses?.classNames;
  // A model file tells the data's width and classes; an endpoint's come from its spec, the request and the data.
  const declared: ModelShape =
    kind === 'onnx'
      ? inspectOnnx(modelBytesOf(req), {
          maxBytes: req.maxModelBytes,
          fileLabel: 'model file',
          ...(numClasses !== undefined ? { numClasses } : {}),
        })
      : {
          ...(preprocessing ? { nFeatures: preprocessing.width } : {}),
          ...(remoteClasses?.numClasses !== undefined ? { numClasses: remoteClasses.numClasses } : {}),
        };
  const onnxSignature = kind === 'onnx' ? (declared as ModelSignature) : undefined;
  if (outputPolicy && onnxSignature) assertPolicyFitsModel(outputPolicy, onnxSignature.numClasses);
  if (preprocessing && onnxSignature) assertSpecFitsModel(preprocessing, onnxSignature.nFeatures, 'the model file');
  const outputKind = onnxSignature?.outputKind ?? remote?.output ?? 'probabilities';
  const labelsOnly = outputKind === 'labels' || outputPolicy?.kind === 'labels';
  const attackIds = requested ?? [
    ...(labelsOnly ? LABELS_ONLY_DEFAULT_ATTACKS : defaultScoreAttacks(req.population !== undefined)),
  ];
  const attacks = attackIds
    .filter((id) => !isExtractionAttack(id) && !isInversionAttackId(id))
    .map((id) => createMembershipAttack(id));
  const extractionAttacks = attackIds
    .filter(isExtractionAttack)
    .map((id) => createExtractionAttack(id, req.knockoffStrategy ? { knockoffStrategy: req.knockoffStrategy } : {}));
  if (labelsOnly) assertLabelsSuffice([...attacks, ...extractionAttacks, ...inversionAttacks], { outputKind });
  const needsQueryPool = extractionAttacks.filter((a) => a.needsQueryPool);
  if (needsQueryPool.length > 0 && !req.population) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      `${needsQueryPool.map((a) => a.id).join(', ')} ${needsQueryPool.length > 1 ? 'query' : 'queries'} the target with natural data; provide a population CSV (extraction.equation-solving alone needs none)`,
    );
  }

  const inversionNeedingPopulation = inversionAttacks.filter((a) => a.needsPopulation);
  if (inversionNeedingPopulation.length > 0 && !req.population) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      `${inversionNeedingPopulation.map((a) => a.id).join(', ')} ${inversionNeedingPopulation.length > 1 ? 'train their' : 'trains its'} model-free baseline on population data; provide a population CSV`,
    );
  }
  const needsReferences = attacks.filter((a) => a.referenceModels !== 'none');
  if (needsReferences.length > 0 && !req.population) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      `${needsReferences.map((a) => a.id).join(', ')} train reference models on population data; provide a population CSV`,
    );
  }

  checkAbort();
  steps.onStep?.('load', 'loading data');
  const schema: CsvSchemaOptions = {
    labelColumn: req.labelColumn,
    ...(req.idColumn !== undefined ? { idColumn: req.idColumn } : {}),
    ...(effectiveClasses !== undefined ? { classes: [...effectiveClasses] } : {}),
    ...(preprocessing ? { preprocessing } : {}),
    ...(req.groupColumn !== undefined ? { groupColumn: req.groupColumn } : {}),
  };
  // numClasses from the model: labels outside its classes are refused in every file, population included. An
  // endpoint's width is the first file's (every other file must match it).
  // With a pseudonym key, ids are replaced here, where they enter the audit: nothing downstream (checks, attacks,
  // findings, report, errors) ever holds a raw id.
  const pseudonymKey = req.pseudonymKey;
  const pseudonymizedIds: PseudonymizedIds | undefined =
    pseudonymKey !== undefined ? { scheme: PSEUDONYM_SCHEME, keyId: pseudonymKeyId(pseudonymKey) } : undefined;
  const withIds = (ds: LabeledDataset): LabeledDataset =>
    pseudonymKey !== undefined ? pseudonymizeRowIds(ds, pseudonymKey) : ds;
  const loadedMembers = withIds(await loadAuditCsv(req.members, schema, declared, onnxSignature));
  const shape: ModelShape = { ...declared, nFeatures: declared.nFeatures ?? loadedMembers.nFeatures };
  checkAbort();
  const loadedNonMembers = withIds(await loadAuditCsv(req.nonMembers, schema, shape, onnxSignature));
  checkAbort();
  const loadedPopulation = req.population
    ? withIds(await loadAuditCsv(req.population, schema, shape, onnxSignature))
    : undefined;
  const signature =
    onnxSignature ??
    remoteSignature(
      remote as RemoteTargetSpec,
      loadedMembers.nFeatures,
      shape.numClasses ?? classCountFromLabels([loadedMembers, loadedNonMembers, loadedPopulation]),
    );
  if (outputPolicy && !onnxSignature) assertPolicyFitsModel(outputPolicy, signature.numClasses);
  const targetSha256 = remote
    ? remoteTargetSha256(remote)
    : createHash('sha256').update(modelBytesOf(req)).digest('hex');
  // The same id in two roles is a mix-up of the splits; the same content under two ids is real data.
  if (req.idColumn !== undefined) {
    const roles: RoleDataset[] = [
      { dataset: loadedMembers, label: req.members.name, role: 'members' },
      { dataset: loadedNonMembers, label: req.nonMembers.name, role: 'non-members' },
    ];
    if (loadedPopulation && req.population)
      roles.push({ dataset: loadedPopulation, label: req.population.name, role: 'population' });
    assertDistinctRowIds(roles);
  }
  const { members, nonMembers, population, duplicates } = resolveDuplicateRecords(
    loadedMembers,
    loadedNonMembers,
    loadedPopulation,
    req.duplicates ?? DEFAULT_DUPLICATE_POLICY,
  );
  assertEnoughRows(members, MIN_AUDIT_ROWS, req.members.name, 'a membership audit');
  assertEnoughRows(
    nonMembers,
    MIN_AUDIT_ROWS,
    req.nonMembers.name,
    duplicates.excludedNonMembers > 0
      ? `after leaving out ${duplicates.excludedNonMembers} non-member(s) identical to a member (--duplicates exclude), a membership audit`
      : 'a membership audit',
  );
  if (population && needsReferences.length > 0 && req.population) {
    assertEnoughRows(
      population,
      MIN_POPULATION_ROWS,
      req.population.name,
      `training reference models for ${needsReferences[0]?.id}`,
    );
  }

  // What the audit sends its target, planned once on the data as measured (duplicates left out), and checked against
  // a remote target's hard budget here, before anything runs: the service calls this when an audit is commissioned.
  const { extractionQueries, queryBudget, queryPlan } = planAuditQueries(
    req,
    remote,
    attacks,
    extractionAttacks,
    { members, nonMembers, ...(population ? { population } : {}) },
    signature.numClasses,
    steps.enforceQueryBudget !== false,
  );

  // The sensitive column is checked against the spec and the data now, so a dry run refuses what a run would.
  if (req.sensitiveColumn !== undefined && inversionAttacks.some((a) => a.id === 'inversion.attribute')) {
    const sensitiveColumn = req.sensitiveColumn;
    withOption('sensitiveColumn', () =>
      resolveSensitiveAttribute(
        sensitiveColumn,
        signature.nFeatures,
        [members, nonMembers, ...(population ? [population] : [])],
        preprocessing,
      ),
    );
  }

  const referenceSets = referenceSetsFor(attacks, referenceModels);
  const referenceArchitecture = requestedReferenceArchitecture(req, signature);
  const surrogate =
    extractionAttacks.length > 0
      ? surrogateArchitecture(referenceArchitecture, req.model, signature.nFeatures, signature.numClasses)
      : undefined;
  const referenceTrainSize = req.targetTrainSize ?? members.nRows;
  const referenceEpochs = req.referenceTraining?.epochs ?? 'auto';
  const referenceCost =
    referenceSets.length > 0
      ? estimateAuditReferenceCost({
          sets: referenceSets,
          ...(req.model !== undefined ? { modelBytes: req.model } : {}),
          signature,
          nPopulation: population?.nRows ?? 0,
          nMembers: members.nRows,
          nNonMembers: nonMembers.nRows,
          ...(referenceArchitecture ? { architecture: referenceArchitecture } : {}),
          epochs: referenceEpochs,
          trainSize: referenceTrainSize,
        })
      : undefined;

  return {
    seed,
    referenceModels,
    topExposed: req.topExposed ?? DEFAULT_TOP_EXPOSED,
    attackIds,
    attacks,
    inversionAttacks,
    extractionAttacks,
    queryBudget,
    extractionQueries,
    ...(surrogate ? { surrogate } : {}),
    signature,
    ...(numClasses !== undefined ? { numClasses } : {}),
    ...(outputPolicy ? { outputPolicy } : {}),
    labelsOnly,
    targetSha256,
    members,
    nonMembers,
    ...(population ? { population } : {}),
    duplicates,
    ...(pseudonymizedIds ? { pseudonymizedIds } : {}),
    referenceSets,
    ...(referenceCost ? { referenceCost } : {}),
    ...(referenceArchitecture ? { referenceArchitecture } : {}),
    referenceTrainSize,
    referenceEpochs,
    ...(effectiveClasses !== undefined ? { classes: effectiveClasses } : {}),
    ...(preprocessing ? { preprocessing } : {}),
    ...(remote ? { remoteTarget: remote } : {}),
    ...(queryPlan ? { queryPlan } : {}),
  };
}

/** Below this many queries per run an extraction attack measures nothing useful. */
const MIN_EXTRACTION_QUERIES = 100;

/**
 * Each extraction attack's query budget (and each what-if re-run's): as asked, or by default DEFAULT_QUERY_BUDGET.
 * Against a remote target the audit's hard budget covers every row sent: when no per-attack budget is given, the
 * extraction attacks share what the other attacks leave of it, and a plan over that budget is refused now
 * (QUERY_BUDGET_EXCEEDED, option outbound.queryBudget), before any query.
 */
function planAuditQueries(
  req: AuditRequest,
  remote: RemoteTargetSpec | undefined,
  attacks: readonly MembershipAttack[],
  extractionAttacks: readonly ExtractionAttack[],
  data: { members: LabeledDataset; nonMembers: LabeledDataset; population?: LabeledDataset },
  numClasses: number,
  enforceBudget: boolean,
): { extractionQueries: number; queryBudget: number; queryPlan?: TargetQueryPlan } {
  const extractionRuns = req.extractionWhatIf ? 1 + whatIfPolicies(numClasses).length : 1;
  let queryBudget = req.queryBudget ?? DEFAULT_QUERY_BUDGET;
  if (!remote) return { queryBudget, extractionQueries: queryBudget * extractionAttacks.length * extractionRuns };
  const cap = resolveOutboundPolicy({ queryBudget: req.outbound?.queryBudget }).queryBudget;
  const others = planTargetQueries({ attacks, ...data });
  if (req.queryBudget === undefined && extractionAttacks.length > 0) {
    queryBudget = Math.floor(
      (cap - others.total - UNIFORM_EVALUATION_ROWS) / (extractionAttacks.length * extractionRuns),
    );
    if (queryBudget < MIN_EXTRACTION_QUERIES) {
      throw new EngineError(
        EngineErrorCode.QueryBudgetExceeded,
        `the query budget of ${cap} leaves ${Math.max(0, cap - others.total)} queries for ${extractionAttacks.length * extractionRuns} extraction run(s) after the other attacks' ${others.total}; at least ${MIN_EXTRACTION_QUERIES} per run are needed: raise the query budget (--query-budget)`,
        { option: 'outbound.queryBudget' },
      );
    }
  }
  const extractionQueries = queryBudget * extractionAttacks.length * extractionRuns;
  const queryPlan = withExtractionQueries(others, extractionAttacks, extractionQueries);
  if (enforceBudget && queryPlan.total > cap) {
    throw new EngineError(
      EngineErrorCode.QueryBudgetExceeded,
      `the audit needs ${queryPlan.total} queries but the query budget leaves ${cap} (at most ${queryPlan.audited} audited records${queryPlan.perAttack
        .filter((a) => a.queries > 0)
        .map((a) => ` + ${a.queries} for ${a.attack}`)
        .join('')}); raise the query budget (--query-budget) or audit fewer rows`,
      { option: 'outbound.queryBudget' },
    );
  }
  return { queryBudget, extractionQueries, queryPlan };
}

/** Runs a check whose EngineError is about one request option, naming that option on the error. */
function withOption<T>(option: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof EngineError && e.location?.option === undefined) {
      throw new EngineError(e.code, e.message, { ...e.location, option });
    }
    throw e;
  }
}

/** What is known of the target's shape before the data are read (all of it for a model file). */
type ModelShape = { readonly nFeatures?: number; readonly numClasses?: number };

/**
 * An endpoint's classes: the spec's, the request's --num-classes and --classes, which must agree. Undefined
 * numClasses: learnt from the data's labels (the largest class index + 1).
 */
function resolveRemoteClasses(
  spec: RemoteTargetSpec,
  requestNumClasses: number | undefined,
  requestClasses: readonly string[] | undefined,
): { numClasses?: number; classNames?: readonly string[] } {
  const counts = [
    spec.numClasses !== undefined ? { n: spec.numClasses, from: "the remote target's numClasses" } : undefined,
    spec.classNames !== undefined ? { n: spec.classNames.length, from: "the remote target's classNames" } : undefined,
    requestNumClasses !== undefined ? { n: requestNumClasses, from: '--num-classes' } : undefined,
    requestClasses !== undefined ? { n: requestClasses.length, from: 'the declared classes' } : undefined,
  ].filter((c) => c !== undefined);
  const first = counts[0];
  const clash = counts.find((c) => c.n !== first?.n);
  if (first && clash) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `${first.from} says ${first.n} classes but ${clash.from} says ${clash.n}`,
    );
  }
  if (requestClasses && spec.classNames && requestClasses.some((c, i) => c !== spec.classNames?.[i])) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      "the declared classes and the remote target's classNames name the classes differently",
    );
  }
  const classNames = requestClasses ?? spec.classNames;
  return {
    ...(first ? { numClasses: first.n } : {}),
    ...(classNames !== undefined ? { classNames } : {}),
  };
}

/** The number of classes the labels show (largest index + 1, at least 2). */
function classCountFromLabels(datasets: ReadonlyArray<LabeledDataset | undefined>): number {
  let max = 1;
  for (const ds of datasets) if (ds) for (const label of ds.labels) max = Math.max(max, label);
  return max + 1;
}

/** Choquette-Choo et al. 2021: when the target answers labels only, label-only membership inference is what applies. */
export const LABELS_ONLY_DEFAULT_ATTACKS: readonly AttackId[] = ['membership.label-only'];

/** Refuses, naming them, the requested attacks that read scores a labels-only target does not return. */
export function assertLabelsSuffice(
  attacks: ReadonlyArray<{ readonly id: AttackId; readonly access: TargetAccess }>,
  signature: Pick<ModelSignature, 'outputKind'>,
): void {
  const needScores = attacks.filter((a) => a.access === 'scores').map((a) => a.id);
  if (needScores.length === 0) return;
  const why =
    signature.outputKind === 'labels'
      ? 'the model outputs class labels only'
      : "the output policy 'labels' hides every score but the predicted class";
  throw new EngineError(
    EngineErrorCode.AttackNeedsScores,
    `${needScores.join(', ')} ${needScores.length > 1 ? 'need' : 'needs'} the target's scores, but ${why}; use ${LABELS_ONLY_DEFAULT_ATTACKS.join(', ')} (the default for labels-only targets)${needScores.some(isExtractionAttack) ? ', or extraction.copycat to steal the model from labels' : ''}`,
  );
}

function assertInversionOptions(req: AuditRequest, inversionAttacks: readonly InversionAttack[]): void {
  if (inversionAttacks.some((a) => a.id === 'inversion.attribute')) {
    if (req.sensitiveColumn === undefined || req.sensitiveColumn.trim() === '') {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        'inversion.attribute infers the value of a sensitive column: name it (--sensitive-column)',
        { option: 'sensitiveColumn' },
      );
    }
  }
  if (
    req.inversionQueryBudget !== undefined &&
    !(Number.isSafeInteger(req.inversionQueryBudget) && req.inversionQueryBudget >= 1)
  ) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the inversion query budget must be a positive integer, got ${req.inversionQueryBudget}`,
      { option: 'inversionQueryBudget' },
    );
  }
  const maxRestarts = MIFACE_SETTINGS.maxRestarts;
  if (
    req.inversionRestarts !== undefined &&
    !(Number.isSafeInteger(req.inversionRestarts) && req.inversionRestarts >= 1 && req.inversionRestarts <= maxRestarts)
  ) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `--inversion-restarts must be a whole number from 1 to ${maxRestarts}, got ${req.inversionRestarts}`,
    );
  }
}

async function loadAuditCsv(
  input: CsvInput,
  schema: CsvSchemaOptions,
  shape: ModelShape,
  model: ModelSignature | undefined,
): Promise<LabeledDataset> {
  const source = input.data ?? input.path;
  if (source === undefined) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `${input.name}: neither a file path nor file contents were given`,
      { file: input.name },
    );
  }
  const ds = await loadLabeledCsv(source, {
    ...schema,
    fileLabel: input.name,
    ...(shape.numClasses !== undefined ? { numClasses: shape.numClasses } : {}),
    ...(shape.nFeatures !== undefined ? { expectedFeatureCount: shape.nFeatures } : {}),
  });
  if (model) assertCompatible(model, ds, input.name);
  else if (shape.nFeatures !== undefined && ds.nFeatures !== shape.nFeatures) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `the audit's first file has ${shape.nFeatures} feature columns, ${input.name} has ${ds.nFeatures}`,
      { file: input.name },
    );
  }
  return ds;
}

function validateOptions(req: AuditRequest, seed: number, referenceModels: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new EngineError(EngineErrorCode.InvalidOption, `seed must be a non-negative integer, got ${seed}`);
  }
  if (!Number.isInteger(referenceModels) || referenceModels < 1) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `reference models must be a positive integer, got ${referenceModels}`,
    );
  }
  if (req.topExposed !== undefined && (!Number.isInteger(req.topExposed) || req.topExposed < 0)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `top exposed must be a non-negative integer, got ${req.topExposed}`,
    );
  }
  if (
    req.maxReferenceSeconds !== undefined &&
    !(Number.isFinite(req.maxReferenceSeconds) && req.maxReferenceSeconds >= 0)
  ) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the reference-model time budget must be a non-negative number of seconds, got ${req.maxReferenceSeconds}`,
    );
  }
  if (req.duplicates !== undefined && parseDuplicatePolicy(req.duplicates) === undefined) {
    throw new EngineError(EngineErrorCode.InvalidOption, `duplicates must be one of ${DUPLICATE_POLICIES.join(', ')}`);
  }
  if (req.targetTrainSize !== undefined && !(Number.isSafeInteger(req.targetTrainSize) && req.targetTrainSize >= 1)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the target's training-set size must be a positive integer, got ${req.targetTrainSize}`,
    );
  }
  if (req.queryBudget !== undefined && !(Number.isSafeInteger(req.queryBudget) && req.queryBudget >= 1)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the query budget must be a positive integer, got ${req.queryBudget}`,
    );
  }
  if (req.queryPrice !== undefined && !(Number.isFinite(req.queryPrice) && req.queryPrice >= 0)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the price per query must be a non-negative number, got ${req.queryPrice}`,
    );
  }
  if (req.knockoffStrategy !== undefined && !KNOCKOFF_STRATEGIES.includes(req.knockoffStrategy)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the knockoff strategy must be one of ${KNOCKOFF_STRATEGIES.join(', ')}`,
    );
  }
  if (req.referenceCacheDir !== undefined && req.referenceCacheDir.trim() === '') {
    throw new EngineError(EngineErrorCode.InvalidOption, 'the reference-model cache directory is an empty path');
  }
}
