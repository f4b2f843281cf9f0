// An audit's reference models as separate units of work, for the service's fan-out (one queue job per
// model). The data are loaded and checked exactly as runAudit does (prepareAudit), so the cache keys planned
// here are the keys runAudit looks up when the request says modelsPerGraph: DISTRIBUTED_MODELS_PER_GRAPH.

import { EngineError, EngineErrorCode } from '../errors';
import {
  planReferenceModels,
  trainReferenceModelIntoStore,
  type PlannedReferenceModel,
  type ReferenceModelJobArgs,
} from '../training/reference-model-jobs';
import type { ReferenceModelStore } from '../training/reference-model-store';
import type { TrainingFit } from '../training/mlp';
import { AUTO_REFERENCE_MAX_EPOCHS } from '../training/reference-model-provider';
import { measureFit } from '../training/target-fit';
import { OnnxTarget } from '../targets/onnx-target';
import type { ReferenceMode, TargetModel } from '../types';
import { openAuditHttpTarget } from './open-remote-target';
import { type AuditRequest, modelBytesOf } from './audit-request';
import { type PreparedAudit, prepareAudit } from './prepare-audit';
import { estimateAuditReferenceCost } from './reference-plan';

export { DISTRIBUTED_MODELS_PER_GRAPH, type PlannedReferenceModel } from '../training/reference-model-jobs';

export interface AuditReferenceModelPlan {
  readonly k: number;
  readonly seed: number;
  /** Every model the audit's attacks need, one entry per (mode, index); empty when none does. */
  readonly models: PlannedReferenceModel[];
  /** Estimated training seconds of one model, per mode (online models train on a larger pool). */
  readonly secondsPerModel: Partial<Record<ReferenceMode, number>>;
}

export async function planAuditReferenceModels(req: AuditRequest): Promise<AuditReferenceModelPlan> {
  return referenceModelPlanOf(req, await prepareAudit(req));
}

/** The reference models of an audit already prepared (planAudit's one prepareAudit): keys and per-model cost. */
export function referenceModelPlanOf(req: AuditRequest, prepared: PreparedAudit): AuditReferenceModelPlan {
  const modes = prepared.referenceSets.map((s) => s.mode);
  const args = jobArgs(req, prepared);
  const secondsPerModel: Partial<Record<ReferenceMode, number>> = {};
  for (const mode of modes) {
    secondsPerModel[mode] = estimateAuditReferenceCost({
      sets: [{ mode, k: 1 }],
      modelBytes: req.model,
      signature: prepared.signature,
      nPopulation: prepared.population?.nRows ?? 0,
      nMembers: prepared.members.nRows,
      nNonMembers: prepared.nonMembers.nRows,
      ...(prepared.referenceArchitecture ? { architecture: prepared.referenceArchitecture } : {}),
      epochs: prepared.referenceEpochs,
      trainSize: prepared.referenceTrainSize,
    }).estimatedSeconds;
  }
  return {
    k: prepared.referenceModels,
    seed: prepared.seed,
    models: args && modes.length > 0 ? planReferenceModels(args, modes) : [],
    secondsPerModel,
  };
}

/** Loads the audit's data as runAudit would and trains its model (mode, m) into the store unless stored. */
export async function trainAuditReferenceModel(
  req: AuditRequest,
  mode: ReferenceMode,
  m: number,
  store: ReferenceModelStore,
  signal?: AbortSignal,
): Promise<{ outcome: 'trained' | 'cached'; key: string }> {
  const prepared = await prepareAudit(req);
  const planned = jobArgs(req, prepared, signal);
  const args =
    planned?.autoEpochs !== undefined
      ? { ...planned, autoEpochs: { ...planned.autoEpochs, fit: await targetFitOnMembers(req, prepared) } }
      : planned;
  if (!args)
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      'reference models train on population data; provide a population CSV',
    );
  const key = planReferenceModels(args, [mode])[m]?.key as string;
  return { outcome: await trainReferenceModelIntoStore(args, mode, m, store), key };
}

/**
 * The target's fit on the members, measured as runAudit does (the model's own answers, no output policy). A remote
 * target is asked through the guarded client: its members' rows are spent from the audit's budget (the ledger),
 * once per job that measures it.
 */
async function targetFitOnMembers(req: AuditRequest, prepared: PreparedAudit): Promise<TrainingFit> {
  const target: TargetModel = prepared.remoteTarget
    ? await openAuditHttpTarget(req, prepared, prepared.remoteTarget)
    : await OnnxTarget.load(modelBytesOf(req), {
        maxBytes: req.maxModelBytes,
        fileLabel: 'model file',
        ...(prepared.numClasses !== undefined ? { numClasses: prepared.numClasses } : {}),
      });
  try {
    const outputs = await target.predict(prepared.members.features, prepared.members.nRows);
    return measureFit(outputs, prepared.members.labels, prepared.signature.numClasses);
  } finally {
    await target.dispose();
  }
}

function jobArgs(req: AuditRequest, prepared: PreparedAudit, signal?: AbortSignal): ReferenceModelJobArgs | undefined {
  if (!prepared.population) return undefined;
  return {
    ...(req.model !== undefined ? { modelBytes: req.model } : {}),
    population: prepared.population,
    members: prepared.members,
    nonMembers: prepared.nonMembers,
    k: prepared.referenceModels,
    seed: prepared.seed,
    numClasses: prepared.signature.numClasses,
    trainSize: prepared.referenceTrainSize,
    // The key names the target; the fit itself is measured by the job that trains (targetFitOnMembers).
    ...(prepared.referenceEpochs === 'auto'
      ? { autoEpochs: { targetSha256: prepared.targetSha256, maxEpochs: AUTO_REFERENCE_MAX_EPOCHS } }
      : {}),
    // Part of each model's cache key, as in runAudit's provider.
    ...(req.referenceTraining ? { training: req.referenceTraining } : {}),
    ...(prepared.referenceArchitecture ? { architecture: prepared.referenceArchitecture } : {}),
    ...(signal ? { signal } : {}),
  };
}
