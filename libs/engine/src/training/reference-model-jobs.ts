// Reference models one at a time, for callers that spread the K models of LiRA (Carlini et al., S&P 2022)
// and RMIA (Zarifzadeh et al., ICML 2024) over several machines: plan the models (mode, index, cache key),
// train any one of them alone into a shared store. A model trained here is bit-identical to the one the
// provider trains with modelsPerGraph 1 (same pool, IN mask row and seed), so an audit run afterwards with
// that store and modelsPerGraph 1 finds every model cached and trains nothing.
import { EngineError, EngineErrorCode } from '../errors';
import type { ReferenceMode } from '../types';
import type { MlpWeights } from './mlp';
import { trainGroupsInParallel } from './parallel-training';
import { referenceModelIdentity, type ReferenceModelProviderArgs } from './reference-model-provider';
import type { ReferenceModelStore } from './reference-model-store';

/** Distributed models are trained alone: a model trained in a graph depends on its graph-mates. */
export const DISTRIBUTED_MODELS_PER_GRAPH = 1;

export type ReferenceModelJobArgs = Omit<
  ReferenceModelProviderArgs,
  'store' | 'onProgress' | 'parallelism' | 'modelsPerGraph'
>;

export interface PlannedReferenceModel {
  readonly mode: ReferenceMode;
  readonly m: number;
  readonly key: string;
}

export function planReferenceModels(
  args: ReferenceModelJobArgs,
  modes: readonly ReferenceMode[],
): PlannedReferenceModel[] {
  assertK(args.k);
  const identity = referenceModelIdentity({ ...args, modelsPerGraph: DISTRIBUTED_MODELS_PER_GRAPH });
  return modes.flatMap((mode) => Array.from({ length: args.k }, (_, m) => ({ mode, m, key: identity.keyOf(mode, m) })));
}

/** Trains model m of `mode` and puts it in the store, unless the store already holds its key. */
export async function trainReferenceModelIntoStore(
  args: ReferenceModelJobArgs,
  mode: ReferenceMode,
  m: number,
  store: ReferenceModelStore,
): Promise<'trained' | 'cached'> {
  assertK(args.k);
  if (!Number.isInteger(m) || m < 0 || m >= args.k) {
    throw new EngineError(EngineErrorCode.InvalidOption, `reference model index ${m} is outside 0..${args.k - 1}`);
  }
  const identity = referenceModelIdentity({ ...args, modelsPerGraph: DISTRIBUTED_MODELS_PER_GRAPH });
  const key = identity.keyOf(mode, m);
  if ((await store.get(key)) !== undefined) return 'cached';
  if (mode === 'offline' && identity.pool.nPopulation < 2) {
    throw new EngineError(
      EngineErrorCode.AttackNeedsPopulation,
      'offline reference models need population data (at least 2 rows) to train on',
    );
  }
  if (args.autoEpochs && !args.autoEpochs.fit) {
    throw new EngineError(
      EngineErrorCode.Internal,
      "reference epochs 'auto' need the target's fit on its members before a model is trained",
    );
  }
  const nRows = identity.pool.nRows;
  const inMask = identity.inMaskOf(mode).slice(m * nRows, (m + 1) * nRows);
  const [group] = await trainGroupsInParallel(
    identity.pool,
    [{ inMask, seeds: [identity.seedOf(mode, m)] }],
    identity.architecture,
    identity.training,
    {
      parallelism: 1,
      ...(args.signal ? { signal: args.signal } : {}),
    },
  );
  await store.put(key, (group as MlpWeights[])[0] as MlpWeights);
  return 'trained';
}

function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the number of reference models must be a positive integer, got ${k}`,
    );
  }
}
