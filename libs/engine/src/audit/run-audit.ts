// One membership-inference audit, end to end: the single entry point the CLI, the worker and the tests call.
// Inspect the untrusted model, load and check the data, query the target once (all attacks share the
// answers), train reference models only if an attack needs them, run the attacks, measure, score, report.

import { createHash } from 'node:crypto';
import { loadLabeledCsv } from '../data/csv-dataset';
import { assertDisjoint, assertEnoughRows } from '../data/membership-split-checks';
import { EngineError, EngineErrorCode } from '../errors';
import { createMembershipAttack, DEFAULT_ATTACKS } from '../membership/attack-registry';
import { computeMembershipMetrics } from '../metrics/membership-metrics';
import { buildAuditReport, buildMembershipFinding, DEFAULT_TOP_EXPOSED } from '../report/build-report';
import { assessRisk } from '../risk/risk-score';
import { assertCompatible, inspectOnnx } from '../targets/onnx-inspection';
import { OnnxTarget } from '../targets/onnx-target';
import { createReferenceModelProvider, type ReferenceModelProviderArgs } from '../training/reference-model-provider';
import type {
  AttackId,
  AuditReport,
  CsvSchemaOptions,
  Finding,
  LabeledDataset,
  MembershipAttack,
  ModelSignature,
  ProgressListener,
  ReferenceModelProvider,
} from '../types';

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
  groupColumn?: string;
  attacks?: AttackId[];
  seed?: number;
  referenceModels?: number;
  topExposed?: number;
  maxModelBytes?: number;
}

export type ReferenceProviderFactory = (args: ReferenceModelProviderArgs) => ReferenceModelProvider;

export interface AuditHooks {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Replaces the default reference-model provider, e.g. to add a persistent model cache. */
  referenceProviderFactory?: ReferenceProviderFactory;
}

export const DEFAULT_SEED = 0;
/** RMIA is strong with 1-4 reference models (Zarifzadeh et al. 2024); LiRA wants more, asked for explicitly. */
export const DEFAULT_REFERENCE_MODELS = 4;
/** Below this, per-side membership metrics are noise (a 95% interval on a TPR spans more than +-15 points). */
export const MIN_AUDIT_ROWS = 30;
/** Reference/shadow models need enough population rows to train on half of them. */
export const MIN_POPULATION_ROWS = 50;

// Overall progress: fixed slices for the cheap phases, the rest shared by attacks by their expected cost.
const PROGRESS = { inspect: 0.01, load: 0.05, queryTarget: 0.1, attacksEnd: 0.97 } as const;
const ATTACK_COST_WITHOUT_REFERENCES = 1;
const ATTACK_COST_WITH_REFERENCES = 10;

export async function runAudit(req: AuditRequest, hooks: AuditHooks = {}): Promise<AuditReport> {
  const progress = monotoneProgress(hooks.onProgress);
  const checkAbort = () => throwIfAborted(hooks.signal);
  const seed = req.seed ?? DEFAULT_SEED;
  const referenceModels = req.referenceModels ?? DEFAULT_REFERENCE_MODELS;
  validateOptions(seed, referenceModels, req.topExposed);
  const attackIds = [...new Set(req.attacks && req.attacks.length > 0 ? req.attacks : DEFAULT_ATTACKS)];
  const attacks = attackIds.map((id) => createMembershipAttack(id));

  checkAbort();
  progress('inspect', 0, 'inspecting model');
  const sig = inspectOnnx(req.model, { maxBytes: req.maxModelBytes, fileLabel: 'model file' });
  const targetSha256 = createHash('sha256').update(req.model).digest('hex');

  const needsReferences = attacks.filter((a) => a.referenceModels !== 'none');
  if (needsReferences.length > 0 && !req.population) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      `${needsReferences.map((a) => a.id).join(', ')} train reference models on population data; provide a population CSV`,
    );
  }

  checkAbort();
  progress('load', PROGRESS.inspect, 'loading data');
  const schema: CsvSchemaOptions = {
    labelColumn: req.labelColumn,
    ...(req.idColumn !== undefined ? { idColumn: req.idColumn } : {}),
    ...(req.classes !== undefined ? { classes: req.classes } : {}),
    ...(req.groupColumn !== undefined ? { groupColumn: req.groupColumn } : {}),
  };
  const members = await loadAuditCsv(req.members, schema, sig);
  checkAbort();
  const nonMembers = await loadAuditCsv(req.nonMembers, schema, sig);
  checkAbort();
  const population = req.population ? await loadAuditCsv(req.population, schema, sig) : undefined;
  assertDisjoint(members, nonMembers, { byId: req.idColumn !== undefined });
  assertEnoughRows(members, MIN_AUDIT_ROWS, req.members.name, 'a membership audit');
  assertEnoughRows(nonMembers, MIN_AUDIT_ROWS, req.nonMembers.name, 'a membership audit');
  if (population && needsReferences.length > 0 && req.population) {
    assertEnoughRows(
      population,
      MIN_POPULATION_ROWS,
      req.population.name,
      `training reference models for ${needsReferences[0]?.id}`,
    );
  }

  checkAbort();
  progress('load-model', PROGRESS.load, 'starting model runtime');
  const target = await OnnxTarget.load(req.model, { maxBytes: req.maxModelBytes, fileLabel: 'model file' });
  try {
    checkAbort();
    progress('query-target', PROGRESS.load, 'querying the target');
    const memberOutputs = await target.predict(members.features, members.nRows);
    checkAbort();
    const nonMemberOutputs = await target.predict(nonMembers.features, nonMembers.nRows);

    // Progress slices per attack, proportional to expected cost; reference training is reported inside
    // the slice of the attack that first needs the models.
    const costs = attacks.map((a) =>
      a.referenceModels === 'none' ? ATTACK_COST_WITHOUT_REFERENCES : ATTACK_COST_WITH_REFERENCES,
    );
    const totalCost = costs.reduce((s, c) => s + c, 0);
    let sliceStart = PROGRESS.queryTarget;
    let sliceWidth = 0;
    let currentPhase = '';

    const references =
      population && needsReferences.length > 0
        ? (hooks.referenceProviderFactory ?? createReferenceModelProvider)({
            modelBytes: req.model,
            population,
            members,
            nonMembers,
            k: referenceModels,
            seed,
            ...(hooks.signal ? { signal: hooks.signal } : {}),
            onProgress: (done, total, message) =>
              progress(
                `${currentPhase}:reference-models`,
                sliceStart + 0.8 * sliceWidth * (total > 0 ? done / total : 0),
                message ?? `reference model ${done}/${total}`,
              ),
          })
        : undefined;

    const findings: Finding[] = [];
    for (const [i, attack] of attacks.entries()) {
      checkAbort();
      sliceWidth = ((PROGRESS.attacksEnd - PROGRESS.queryTarget) * (costs[i] as number)) / totalCost;
      currentPhase = `attack:${attack.id}`;
      progress(currentPhase, sliceStart, `running ${attack.id}`);
      const start = sliceStart;
      const width = sliceWidth;
      const scores = await attack.run({
        target,
        members,
        nonMembers,
        ...(population ? { population } : {}),
        memberOutputs,
        nonMemberOutputs,
        seed,
        referenceModels,
        ...(references ? { references } : {}),
        onProgress: (fraction, message) => progress(currentPhase, start + width * clamp01(fraction), message),
      });
      findings.push(buildFinding(attack, scores, members, req.topExposed ?? DEFAULT_TOP_EXPOSED));
      sliceStart += sliceWidth;
    }

    checkAbort();
    progress('report', PROGRESS.attacksEnd, 'scoring risk and writing the report');
    const report = buildAuditReport({
      targetSha256,
      signature: sig,
      members,
      nonMembers,
      ...(population ? { population } : {}),
      labelColumn: req.labelColumn,
      ...(req.idColumn !== undefined ? { idColumn: req.idColumn } : {}),
      attacks: attackIds,
      seed,
      referenceModels,
      findings,
      risk: assessRisk(findings),
    });
    progress('done', 1);
    return report;
  } finally {
    await target.dispose();
  }
}

function buildFinding(
  attack: MembershipAttack,
  scores: { attack: AttackId; members: Float64Array; nonMembers: Float64Array },
  members: LabeledDataset,
  topExposed: number,
): Finding {
  if (scores.members.length !== members.nRows) {
    throw new EngineError(
      EngineErrorCode.Internal,
      `Attack ${attack.id} returned ${scores.members.length} member scores for ${members.nRows} members`,
    );
  }
  const metrics = computeMembershipMetrics(scores.members, scores.nonMembers, { attack: attack.id });
  return buildMembershipFinding({ attack, scores, metrics, memberRowIds: members.rowIds, topExposed });
}

async function loadAuditCsv(input: CsvInput, schema: CsvSchemaOptions, sig: ModelSignature): Promise<LabeledDataset> {
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
    numClasses: sig.numClasses,
    expectedFeatureCount: sig.nFeatures,
  });
  assertCompatible(sig, ds, input.name);
  return ds;
}

function validateOptions(seed: number, referenceModels: number, topExposed: number | undefined): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new EngineError(EngineErrorCode.InvalidOption, `seed must be a non-negative integer, got ${seed}`);
  }
  if (!Number.isInteger(referenceModels) || referenceModels < 1) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `reference models must be a positive integer, got ${referenceModels}`,
    );
  }
  if (topExposed !== undefined && (!Number.isInteger(topExposed) || topExposed < 0)) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `top exposed must be a non-negative integer, got ${topExposed}`,
    );
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const error = new Error('The audit was cancelled');
    error.name = 'AbortError';
    throw error;
  }
}

/** Progress never goes backwards, whatever order nested reporters fire in. */
function monotoneProgress(
  listener: ProgressListener | undefined,
): (phase: string, fraction: number, message?: string) => void {
  let last = 0;
  return (phase, fraction, message) => {
    last = Math.max(last, clamp01(fraction));
    listener?.({ phase, fraction: last, ...(message !== undefined ? { message } : {}) });
  };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
