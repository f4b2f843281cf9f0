// One membership-inference audit, end to end: the single entry point the CLI, the worker and the tests call.
// Inspect the untrusted model, load and check the data, price the reference models and refuse an audit over
// its budget before anything is trained, query the target once (all attacks share the answers), train or
// load cached reference models only if an attack needs them, run the attacks, measure (overall, per class,
// per declared group), add Song & Mittal per-record risk when offline models exist, score, report.
// An output policy (targets/output-policy.ts) wraps the target after loading, and is applied to reference
// models' answers too: an attacker who knows the API rounds or truncates calibrates on answers shaped alike.

import { describeDuplicateRecords } from '../data/duplicate-records';
import { runExtractionAttacks, type StolenSurrogate } from '../extraction/run-extraction';
import { EngineError, EngineErrorCode } from '../errors';
import { runInversionAttacks } from '../inversion/run-inversion';
import { ATTACKS_NEEDING_POPULATION } from '../membership/attack-registry';
import { computePrivacyRiskScores } from '../membership/privacy-risk-score';
import { computeMembershipMetrics } from '../metrics/membership-metrics';
import { sliceMembershipMetrics } from '../metrics/slices';
import { buildAuditReport, buildMembershipFinding } from '../report/build-report';
import { compactSlices } from '../report/finding-slices';
import { assessRisk } from '../risk/risk-score';
import { OnnxTarget } from '../targets/onnx-target';
import { applyOutputPolicy, formatOutputPolicy, type OutputPolicy, withOutputPolicy } from '../targets/output-policy';
import type { TrainingFit } from '../training/mlp';
import { fitHasLoss, measureFit } from '../training/target-fit';
import {
  AUTO_REFERENCE_MAX_EPOCHS,
  createReferenceModelProvider,
  FileReferenceModelStore,
  type ReferenceModelProviderArgs,
} from '../training/reference-model-provider';
import type {
  AuditReport,
  ExtractionFinding,
  Finding,
  MembershipAttackContext,
  MembershipScores,
  ProgressListener,
  ReferenceMode,
  ReferenceModelProvider,
  ReferenceModelSet,
  TargetModel,
} from '../types';
import { type AuditRequest, modelBytesOf } from './audit-request';
import { createProtocolAdapter, type HttpTarget } from '../targets/http/http-target';
import { openAuditHttpTarget } from './open-remote-target';
import { displayEndpoint, type RemoteTargetSpec } from '../targets/http/remote-target-spec';
import { preprocessingReportEntry } from './audit-preprocessing';
import { MeteredReferenceModelStore } from './metered-reference-store';
import { type PreparedAudit, prepareAudit } from './prepare-audit';
import { assertReferenceBudget, describeReferenceCost } from './reference-plan';

export {
  type AuditRequest,
  type CsvInput,
  DEFAULT_REFERENCE_MODELS,
  DEFAULT_SEED,
  MIN_AUDIT_ROWS,
  MIN_POPULATION_ROWS,
} from './audit-request';
export { type AuditPlan, planAudit } from './plan-audit';

export type ReferenceProviderFactory = (args: ReferenceModelProviderArgs) => ReferenceModelProvider;

export interface AuditHooks {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Replaces the default reference-model provider (it receives the audit's cache store in args.store). */
  referenceProviderFactory?: ReferenceProviderFactory;
  /** Receives each extraction attack's stolen surrogate with its finding (the CLI's --surrogate-out). */
  onSurrogate?: (finding: ExtractionFinding, surrogate: StolenSurrogate) => void | Promise<void>;
}

// Overall progress: fixed slices for the cheap phases, the rest shared by attacks by their expected cost.
const PROGRESS = { inspect: 0.01, load: 0.05, queryTarget: 0.1, attacksEnd: 0.95, privacyRisk: 0.97 } as const;
const ATTACK_COST_WITHOUT_REFERENCES = 1;
const ATTACK_COST_WITH_REFERENCES = 10;
const ATTACK_COST_INVERSION = 5;

export async function runAudit(req: AuditRequest, hooks: AuditHooks = {}): Promise<AuditReport> {
  const progress = monotoneProgress(hooks.onProgress);
  const checkAbort = () => throwIfAborted(hooks.signal);
  const prepared = await prepareAudit(req, {
    checkAbort,
    onStep: (step, message) => progress(step, step === 'inspect' ? 0 : PROGRESS.inspect, message),
  });
  const { attacks, members, nonMembers, population, seed, referenceModels, referenceCost } = prepared;

  const duplicateNote = describeDuplicateRecords(prepared.duplicates);
  if (duplicateNote !== undefined) progress('load', PROGRESS.load, duplicateNote);
  if (referenceCost) {
    progress('plan', PROGRESS.load, describeReferenceCost(referenceCost));
    assertReferenceBudget(referenceCost, req.maxReferenceSeconds);
  }

  checkAbort();
  const remote = prepared.remoteTarget;
  const queryPlan = prepared.queryPlan;
  progress(
    'load-model',
    PROGRESS.load,
    remote ? `checking the remote target (at most ${queryPlan?.total} queries planned)` : 'starting model runtime',
  );
  const model: TargetModel & { readonly requestsSent?: number } = remote
    ? await openAuditHttpTarget(req, prepared, remote, queryPlan?.total)
    : await OnnxTarget.load(modelBytesOf(req), {
        maxBytes: req.maxModelBytes,
        fileLabel: 'model file',
        ...(prepared.numClasses !== undefined ? { numClasses: prepared.numClasses } : {}),
      });
  const target = withOutputPolicy(model, prepared.outputPolicy);
  try {
    checkAbort();
    progress('query-target', PROGRESS.load, 'querying the target');
    const memberOutputs = await target.predict(members.features, members.nRows);
    checkAbort();
    const nonMemberOutputs = await target.predict(nonMembers.features, nonMembers.nRows);

    // Progress slices per attack, proportional to expected cost; reference training is reported inside
    // the slice of the attack that first needs the models.
    const costs = [
      ...attacks.map((a) =>
        a.referenceModels === 'none' ? ATTACK_COST_WITHOUT_REFERENCES : ATTACK_COST_WITH_REFERENCES,
      ),
      ...prepared.extractionAttacks.map(() => ATTACK_COST_WITH_REFERENCES),
    ];
    const totalCost = costs.reduce((s, c) => s + c, 0) + ATTACK_COST_INVERSION * prepared.inversionAttacks.length;
    let sliceStart = PROGRESS.queryTarget;
    let sliceWidth = 0;

    // Reference epochs 'auto': the target's fit on the members, from its own answers (before any output policy:
    // the auditor holds the model), is what each reference model trains towards.
    const autoEpochs =
      prepared.referenceSets.length > 0 && prepared.referenceEpochs === 'auto'
        ? {
            targetSha256: prepared.targetSha256,
            maxEpochs: AUTO_REFERENCE_MAX_EPOCHS,
            fit: measureFit(
              prepared.outputPolicy ? await model.predict(members.features, members.nRows) : memberOutputs,
              members.labels,
              prepared.signature.numClasses,
            ),
          }
        : undefined;
    const obtainedSets = new Map<ReferenceMode, ReferenceModelSet>();
    const store = new MeteredReferenceModelStore(
      req.referenceCacheDir !== undefined ? new FileReferenceModelStore(req.referenceCacheDir) : undefined,
    );
    const references =
      population && prepared.referenceSets.length > 0
        ? perModeProvider(prepared.outputPolicy, obtainedSets, (mode) =>
            (hooks.referenceProviderFactory ?? createReferenceModelProvider)({
              ...(req.model !== undefined ? { modelBytes: req.model } : {}),
              population,
              members,
              nonMembers,
              k: referenceModels,
              numClasses: prepared.signature.numClasses,
              trainSize: prepared.referenceTrainSize,
              ...(autoEpochs ? { autoEpochs } : {}),
              ...(req.referenceTraining ? { training: req.referenceTraining } : {}),
              ...(prepared.referenceArchitecture ? { architecture: prepared.referenceArchitecture } : {}),
              seed,
              store,
              ...(req.modelsPerGraph !== undefined ? { modelsPerGraph: req.modelsPerGraph } : {}),
              ...(hooks.signal ? { signal: hooks.signal } : {}),
              onProgress: (done, total, message) =>
                progress(
                  `reference-models:${mode}`,
                  sliceStart + 0.8 * sliceWidth * (total > 0 ? done / total : 0),
                  `model ${done}/${total}${message !== undefined ? ` (${message})` : ''}`,
                ),
            }),
          )
        : undefined;

    const context: MembershipAttackContext = {
      target,
      members,
      nonMembers,
      ...(population ? { population } : {}),
      memberOutputs,
      nonMemberOutputs,
      seed,
      referenceModels,
      ...(references ? { references } : {}),
    };

    const scored: MembershipScores[] = [];
    for (const [i, attack] of attacks.entries()) {
      checkAbort();
      sliceWidth = ((PROGRESS.attacksEnd - PROGRESS.queryTarget) * (costs[i] as number)) / totalCost;
      const phase = `attack:${attack.id}`;
      progress(phase, sliceStart, `running ${attack.id}`);
      const start = sliceStart;
      const width = sliceWidth;
      const scores = await attack.run({
        ...context,
        onProgress: (fraction, message) => progress(phase, start + width * clamp01(fraction), message),
      });
      assertScoreCounts(attack.id, scores, members.nRows, nonMembers.nRows);
      scored.push(scores);
      sliceStart += sliceWidth;
    }

    const inversionWidth = ((PROGRESS.attacksEnd - PROGRESS.queryTarget) * ATTACK_COST_INVERSION) / totalCost;
    const inversionStart = sliceStart;
    const inversionFindings = await runInversionAttacks({
      attacks: prepared.inversionAttacks,
      target,
      modelBytes: req.model,
      members,
      nonMembers,
      ...(population ? { population } : {}),
      labelsOnly: prepared.labelsOnly,
      seed,
      ...(req.sensitiveColumn !== undefined ? { sensitiveColumn: req.sensitiveColumn } : {}),
      ...(prepared.preprocessing ? { preprocessing: prepared.preprocessing } : {}),
      ...(prepared.classes ? { classes: prepared.classes } : {}),
      ...(req.inversionQueryBudget !== undefined ? { queryBudget: req.inversionQueryBudget } : {}),
      ...(req.inversionOutDir !== undefined ? { outDir: req.inversionOutDir } : {}),
      ...(req.inversionRestarts !== undefined ? { restarts: req.inversionRestarts } : {}),
      topExposed: prepared.topExposed,
      attacksCompared: prepared.attackIds.length,
      checkAbort,
      onProgress: (attack, fraction, message) => {
        const i = prepared.inversionAttacks.indexOf(attack);
        progress(`attack:${attack.id}`, inversionStart + inversionWidth * (i + clamp01(fraction)), message);
      },
    });

    // Song & Mittal calibrate on offline reference models; only when an attack already paid for them.
    let memberPrivacyRisk: Float64Array | undefined;
    if (references && prepared.referenceSets.some((s) => s.mode === 'offline')) {
      checkAbort();
      progress('privacy-risk', PROGRESS.attacksEnd, 'per-record privacy risk (Song & Mittal)');
      memberPrivacyRisk = (await computePrivacyRiskScores(context)).members;
    }

    // Model extraction (extraction/): after the membership attacks, within the query budget.
    let extractionFindings: ExtractionFinding[] = [];
    if (prepared.extractionAttacks.length > 0 && prepared.surrogate) {
      checkAbort();
      const start = sliceStart;
      extractionFindings = await runExtractionAttacks({
        attacks: prepared.extractionAttacks,
        target,
        unwrappedTarget: model,
        members,
        nonMembers,
        ...(population ? { population } : {}),
        memberOutputs,
        nonMemberOutputs,
        architecture: prepared.surrogate.architecture,
        architectureSource: prepared.surrogate.source,
        seed,
        queryBudget: prepared.queryBudget,
        ...(req.queryPrice !== undefined ? { pricePerQuery: req.queryPrice } : {}),
        whatIf: req.extractionWhatIf === true,
        onProgress: (fraction, message) =>
          progress('attack:extraction', start + (PROGRESS.attacksEnd - start) * clamp01(fraction), message),
        ...(hooks.onSurrogate ? { onSurrogate: hooks.onSurrogate } : {}),
      });
    }

    checkAbort();
    progress('report', PROGRESS.privacyRisk, 'measuring leakage by slice, scoring risk and writing the report');
    const findings: Finding[] = [
      ...scored.map((scores, i) => buildFinding(prepared, req, scores, i, memberPrivacyRisk)),
      ...extractionFindings,
      ...inversionFindings,
    ];
    const usage = model.usage?.();
    const report = buildAuditReport({
      targetSha256: prepared.targetSha256,
      signature: prepared.signature,
      ...(remote
        ? {
            endpoint: {
              ...displayEndpoint(createProtocolAdapterUrl(remote, prepared)),
              protocol: remote.protocol,
              outputKind: remote.output,
            },
          }
        : {}),
      ...(remote && usage && queryPlan
        ? {
            queries: {
              planned: queryPlan.total,
              used: usage.queriesUsed,
              spentBefore: (model as HttpTarget).spentBefore,
              budget: usage.queryBudget ?? 0,
              cacheHits: usage.cacheHits,
              requests: model.requestsSent ?? 0,
            },
          }
        : {}),
      members,
      nonMembers,
      ...(population ? { population } : {}),
      labelColumn: req.labelColumn,
      ...(req.idColumn !== undefined ? { idColumn: req.idColumn } : {}),
      ...(prepared.pseudonymizedIds ? { pseudonymizedIds: prepared.pseudonymizedIds } : {}),
      ...(req.groupColumn !== undefined ? { groupColumn: req.groupColumn } : {}),
      attacks: prepared.attackIds,
      seed,
      referenceModels,
      ...(prepared.classes !== undefined ? { classes: prepared.classes } : {}),
      ...(prepared.preprocessing ? { preprocessing: preprocessingReportEntry(prepared.preprocessing) } : {}),
      duplicates: prepared.duplicates,
      ...(population || prepared.labelsOnly ? {} : { attacksNeedingPopulation: ATTACKS_NEEDING_POPULATION }),
      ...(req.referenceTraining !== undefined ? { referenceTraining: req.referenceTraining } : {}),
      ...(prepared.referenceArchitecture ? { referenceArchitecture: prepared.referenceArchitecture } : {}),
      ...(references
        ? {
            referenceFit: referenceFitReport(prepared, autoEpochs?.fit, obtainedSets),
          }
        : {}),
      ...(referenceCost
        ? {
            referenceCost: {
              ...referenceCost,
              modelsCached: store.modelsCached,
              modelsTrained: store.modelsTrained,
            },
          }
        : {}),
      ...(prepared.inversionAttacks.length > 0
        ? {
            inversion: {
              ...(req.sensitiveColumn !== undefined ? { sensitiveColumn: req.sensitiveColumn } : {}),
              ...(req.inversionQueryBudget !== undefined ? { queryBudget: req.inversionQueryBudget } : {}),
              ...(req.inversionRestarts !== undefined ? { restarts: req.inversionRestarts } : {}),
            },
          }
        : {}),
      findings,
      risk: assessRisk(findings),
    });
    progress('done', 1);
    return prepared.outputPolicy
      ? { ...report, config: { ...report.config, outputPolicy: formatOutputPolicy(prepared.outputPolicy) } }
      : report;
  } finally {
    await target.dispose();
  }
}

/** The URL the adapter posts to (the report shows its origin and path). */
function createProtocolAdapterUrl(spec: RemoteTargetSpec, prepared: PreparedAudit): string {
  return createProtocolAdapter({
    spec,
    nFeatures: prepared.signature.nFeatures,
    numClasses: prepared.signature.numClasses,
    featureNames: prepared.members.featureNames,
  }).url.href;
}

/**
 * One provider per mode, created on first use, so each provider's progress is labelled with its mode.
 * Providers memoise per mode, so nothing is trained twice. Reference answers go through the output policy.
 */
function perModeProvider(
  policy: OutputPolicy | undefined,
  obtained: Map<ReferenceMode, ReferenceModelSet>,
  create: (mode: ReferenceMode) => ReferenceModelProvider,
): ReferenceModelProvider {
  const providers = new Map<ReferenceMode, ReferenceModelProvider>();
  return {
    async obtain(mode) {
      let provider = providers.get(mode);
      if (!provider) {
        provider = create(mode);
        providers.set(mode, provider);
      }
      const set = await provider.obtain(mode);
      obtained.set(mode, set);
      return policy ? referencesUnderPolicy(set, policy) : set;
    },
  };
}

function referencesUnderPolicy(set: ReferenceModelSet, policy: OutputPolicy): ReferenceModelSet {
  return {
    mode: set.mode,
    k: set.k,
    nRecords: set.nRecords,
    nPopulation: set.nPopulation,
    inMask: set.inMask,
    async predict(m, features, nRows) {
      const outputs = await set.predict(m, features, nRows);
      const numClasses = nRows > 0 ? outputs.probabilities.length / nRows : 0;
      return applyOutputPolicy(policy, outputs, nRows, numClasses);
    },
  };
}

/** How the reference models were fitted, next to how the target fits its members (report config.referenceFit). */
function referenceFitReport(
  prepared: PreparedAudit,
  targetFit: TrainingFit | undefined,
  sets: ReadonlyMap<ReferenceMode, ReferenceModelSet>,
): NonNullable<AuditReport['config']['referenceFit']> {
  const references = [...sets.values()].flatMap((set) => {
    if (!set.fit || set.fit.length === 0) return [];
    const meanLoss = set.fit.reduce((s, f) => s + f.loss, 0) / set.fit.length;
    const meanAccuracy = set.fit.reduce((s, f) => s + f.accuracy, 0) / set.fit.length;
    return [
      { mode: set.mode, meanLoss, meanAccuracy, ...(set.trainRows !== undefined ? { trainRows: set.trainRows } : {}) },
    ];
  });
  return {
    trainSize: prepared.referenceTrainSize,
    epochs: prepared.referenceEpochs,
    ...(prepared.referenceEpochs === 'auto' ? { maxEpochs: AUTO_REFERENCE_MAX_EPOCHS } : {}),
    ...(targetFit
      ? { target: { loss: fitHasLoss(targetFit) ? targetFit.loss : null, accuracy: targetFit.accuracy } }
      : {}),
    ...(references.length > 0 ? { references } : {}),
  };
}

function assertScoreCounts(attack: string, scores: MembershipScores, nMembers: number, nNonMembers: number): void {
  if (scores.members.length !== nMembers || scores.nonMembers.length !== nNonMembers) {
    throw new EngineError(
      EngineErrorCode.Internal,
      `Attack ${attack} returned ${scores.members.length}/${scores.nonMembers.length} scores for ${nMembers} members and ${nNonMembers} non-members`,
    );
  }
}

function buildFinding(
  prepared: PreparedAudit,
  req: AuditRequest,
  scores: MembershipScores,
  index: number,
  memberPrivacyRisk: Float64Array | undefined,
): Finding {
  const attack = prepared.attacks[index];
  if (!attack) throw new EngineError(EngineErrorCode.Internal, `no attack for scores ${index}`);
  const metrics = computeMembershipMetrics(scores.members, scores.nonMembers, { attack: attack.id });
  const slices = compactSlices(
    sliceMembershipMetrics(scores, prepared.members, prepared.nonMembers, {
      ...(prepared.classes ? { classNames: prepared.classes } : {}),
    }),
  );
  return buildMembershipFinding({
    attack,
    scores,
    metrics,
    memberRowIds: prepared.members.rowIds,
    topExposed: prepared.topExposed,
    slices,
    attacksCompared: prepared.attacks.length,
    ...(memberPrivacyRisk ? { memberPrivacyRisk } : {}),
    ...(req.groupColumn !== undefined ? { groupColumn: req.groupColumn } : {}),
  });
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
