// Which reference-model sets an audit's attacks need and what training them costs, known before anything
// is trained, so a budget can refuse the audit up front (BRIEF: cost estimate and budget guard before a
// run). Needs only row counts and the model bytes, so the service can price an audit it has not loaded.

import { readMlpFromOnnx } from '../onnx/mlp-onnx-writer';
import { EngineError, EngineErrorCode } from '../errors';
import type { Activation, MlpArchitecture } from '../training/mlp';
import {
  AUTO_REFERENCE_MAX_EPOCHS,
  DEFAULT_REFERENCE_HIDDEN,
  assertWithinBudget,
  estimateReferenceCost,
  referenceTrainingRows,
} from '../training/reference-model-provider';
import type { MembershipAttack, ModelSignature, ReferenceCost, ReferenceMode } from '../types';

export interface ReferenceSetPlan {
  readonly mode: ReferenceMode;
  readonly k: number;
}

const MODE_ORDER: readonly ReferenceMode[] = ['online', 'offline'];

/** One set of K models per mode the attacks need; LiRA and RMIA of one audit share a mode's set. */
export function referenceSetsFor(
  attacks: ReadonlyArray<Pick<MembershipAttack, 'referenceModels'>>,
  k: number,
): ReferenceSetPlan[] {
  const modes = new Set(attacks.map((a) => a.referenceModels));
  return MODE_ORDER.filter((mode) => modes.has(mode)).map((mode) => ({ mode, k }));
}

export interface ReferenceCostInputs {
  readonly sets: readonly ReferenceSetPlan[];
  /** The target's ONNX bytes: a plain MLP target is mirrored by its reference models, as the provider does. */
  readonly modelBytes?: Uint8Array;
  readonly signature: Pick<ModelSignature, 'nFeatures' | 'numClasses'>;
  readonly nPopulation: number;
  readonly nMembers: number;
  readonly nNonMembers: number;
  /** The user's reference architecture (AuditRequest.referenceHidden); else mirrored or the default. */
  readonly architecture?: MlpArchitecture;
  /**
   * Training epochs of each reference model (AuditRequest.referenceTraining), or 'auto' (priced at its cap,
   * AUTO_REFERENCE_MAX_EPOCHS: an estimate that guards a budget must not undershoot). Default: 'auto'.
   */
  readonly epochs?: number | 'auto';
  /** Training rows per reference model aimed for (the target's training-set size); default: half the pool. */
  readonly trainSize?: number;
}

/**
 * Upper bound on the training cost: every model of every set, as if none were cached. Online models train
 * on half of the whole pool (population, members, non-members), offline ones on half of the population.
 */
export function estimateAuditReferenceCost(inputs: ReferenceCostInputs): ReferenceCost {
  const architecture = referenceArchitectureFor(inputs);
  let modelsToTrain = 0;
  let estimatedSeconds = 0;
  for (const set of inputs.sets) {
    const nRows =
      set.mode === 'online' ? inputs.nPopulation + inputs.nMembers + inputs.nNonMembers : inputs.nPopulation;
    const epochs = inputs.epochs ?? 'auto';
    const cost = estimateReferenceCost({
      k: set.k,
      nRows,
      ...(inputs.trainSize !== undefined
        ? {
            rowsPerModel: referenceTrainingRows(
              set.mode,
              inputs.trainSize,
              inputs.nMembers + inputs.nNonMembers,
              inputs.nPopulation,
            ),
          }
        : {}),
      architecture,
      epochs: epochs === 'auto' ? AUTO_REFERENCE_MAX_EPOCHS : epochs,
    });
    modelsToTrain += cost.modelsToTrain;
    estimatedSeconds += cost.estimatedSeconds;
  }
  const epochs = inputs.epochs ?? 'auto';
  return {
    sets: inputs.sets.map((s) => ({ mode: s.mode, k: s.k })),
    modelsToTrain,
    estimatedSeconds,
    epochs,
    ...(epochs === 'auto' ? { maxEpochs: AUTO_REFERENCE_MAX_EPOCHS } : {}),
  };
}

/** BudgetExceeded when the estimate is over maxSeconds; nothing when there is no budget or nothing to train. */
export function assertReferenceBudget(cost: ReferenceCost, maxSeconds: number | undefined): void {
  if (maxSeconds === undefined || cost.modelsToTrain === 0) return;
  assertWithinBudget(cost, maxSeconds);
}

/** One line for progress events and the CLI: what will be trained and how long it should take. */
export function describeReferenceCost(cost: ReferenceCost): string {
  const sets = cost.sets.map((s) => `${s.k} ${s.mode}`).join(' + ');
  const epochs =
    cost.epochs === 'auto'
      ? `, epochs auto (until each fits as tightly as the target, at most ${cost.maxEpochs ?? AUTO_REFERENCE_MAX_EPOCHS}; priced at the cap)`
      : cost.epochs !== undefined
        ? `, ${cost.epochs} epochs each`
        : '';
  return `reference models: ${sets} (${cost.modelsToTrain} at most, cached ones are skipped${epochs}), estimated ${Math.ceil(cost.estimatedSeconds)} s at most`;
}

/** The reference architecture the caller asked for, or undefined to let the provider mirror the target. */
export function requestedReferenceArchitecture(
  req: { referenceHidden?: readonly number[]; referenceActivation?: Activation },
  signature: Pick<ModelSignature, 'nFeatures' | 'numClasses'>,
): MlpArchitecture | undefined {
  if (req.referenceHidden === undefined) {
    if (req.referenceActivation !== undefined) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        'a reference activation needs reference hidden layer widths too (e.g. --reference-hidden 128)',
      );
    }
    return undefined;
  }
  for (const width of req.referenceHidden) {
    if (!Number.isInteger(width) || width < 1 || width > 4096) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `reference hidden layer widths must be integers from 1 to 4096, got ${width}`,
      );
    }
  }
  return {
    nFeatures: signature.nFeatures,
    hidden: [...req.referenceHidden],
    numClasses: signature.numClasses,
    activation: req.referenceActivation ?? 'relu',
  };
}

function referenceArchitectureFor(inputs: ReferenceCostInputs): MlpArchitecture {
  if (inputs.architecture) return inputs.architecture;
  const mirrored = inputs.modelBytes ? readMlpFromOnnx(inputs.modelBytes)?.architecture : undefined;
  return (
    mirrored ?? {
      nFeatures: inputs.signature.nFeatures,
      hidden: DEFAULT_REFERENCE_HIDDEN,
      numClasses: inputs.signature.numClasses,
      activation: 'relu',
    }
  );
}
