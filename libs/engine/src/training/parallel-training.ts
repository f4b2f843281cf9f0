// Trains groups of reference models (one training graph per group, see mlp-trainer.ts) on several cores.
// LiRA (Carlini et al., S&P 2022) and RMIA (Zarifzadeh et al., ICML 2024) need K models on one record pool;
// each trainer runs on one thread (onnxruntime with one intra-op thread: spinning thread pools collapse under
// contention), so the groups are spread over worker threads, each with its own sessions. The pool is put once
// in SharedArrayBuffers that every worker reads in place; only
// each group's IN mask goes to a worker and only the trained weights come back (transferred, not copied).
// A group's weights depend only on the pool, its mask and its seeds, so which thread trains it does not
// change a single bit: parallel and in-process results are identical.
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError, EngineErrorCode } from '../errors';
import type { MlpArchitecture, MlpTrainingOptions, MlpWeights, TrainingData } from './mlp';
import { trainMlpOnSubsets } from './mlp-trainer';

/** Training options shared by every group (each group brings its own seeds). */
export type GroupTrainingOptions = Omit<MlpTrainingOptions, 'seed' | 'onEpoch'>;

export interface TrainingGroup {
  /** inMask[t * pool.nRows + i] = 1 when pool row i is in the training set of the group's model t. */
  readonly inMask: Uint8Array;
  /** One seed per model of the group. */
  readonly seeds: readonly number[];
}

export interface ParallelTrainingOptions {
  /**
   * Worker threads to train on; 1 trains in this thread. Default: min(available cores, 2, groups), and 1
   * when no compiled worker script exists (TypeScript sources run by jest without a dist/ build).
   */
  readonly parallelism?: number;
  readonly signal?: AbortSignal;
  /** Called as each group finishes (in completion order); training waits for the returned promise. */
  readonly onGroupTrained?: (group: number, models: MlpWeights[]) => void | Promise<void>;
}

/** The cap on the default: the development and CI machines have 2 cores, and each worker holds a runtime. */
const MAX_DEFAULT_PARALLELISM = 2;
const WORKER_FILE = 'parallel-training-worker.js';

/** @internal Data every worker receives once, at start. */
export interface TrainingWorkerData {
  readonly features: SharedArrayBuffer;
  readonly labels: SharedArrayBuffer;
  readonly nRows: number;
  readonly nFeatures: number;
  readonly architecture: MlpArchitecture;
  readonly training: GroupTrainingOptions;
}

/** @internal One group to train. */
export interface TrainGroupRequest {
  readonly job: number;
  readonly inMask: Uint8Array;
  readonly seeds: readonly number[];
}

/**
 * @internal Asks a busy worker to stop after its current epoch and exit. A worker is never terminated while it
 * trains: terminating a thread while an onnxruntime session call is in flight aborts the whole process
 * (the binding's completion throws into a torn-down environment).
 */
export interface StopRequest {
  readonly stop: true;
}

/** @internal A worker's answer. */
export interface GroupResult {
  readonly job: number;
  readonly models?: MlpWeights[];
  readonly error?: { message: string; code?: EngineErrorCode; location?: EngineError['location'] };
}

/**
 * The compiled worker script, or undefined when there is none: beside this file when it runs as JavaScript,
 * else the dist/ twin of this folder (tsc -p tsconfig.build.json keeps the folder structure).
 */
export function trainingWorkerScript(): string | undefined {
  if (__filename.endsWith('.js')) {
    const beside = path.join(__dirname, WORKER_FILE);
    return existsSync(beside) ? beside : undefined;
  }
  for (let root = path.dirname(__dirname); ; root = path.dirname(root)) {
    const candidate = path.join(root, 'dist', path.relative(root, __dirname), WORKER_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(root) === root) return undefined;
  }
}

/** Threads trainGroupsInParallel will use for `groups` groups with the requested parallelism. */
/** Training threads when none is asked for: one per core, at most MAX_DEFAULT_PARALLELISM. */
export function defaultTrainingParallelism(): number {
  return Math.min(os.availableParallelism(), MAX_DEFAULT_PARALLELISM);
}

export function effectiveParallelism(groups: number, requested?: number): number {
  if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1)) {
    throw new EngineError(EngineErrorCode.InvalidOption, `parallelism must be a positive integer, got ${requested}`);
  }
  const wanted = requested ?? defaultTrainingParallelism();
  const threads = Math.max(1, Math.min(wanted, groups));
  return threads > 1 && trainingWorkerScript() !== undefined ? threads : 1;
}

/** Train every group; result[g] holds group g's models in seed order, whatever thread trained them. */
export async function trainGroupsInParallel(
  pool: TrainingData,
  groups: readonly TrainingGroup[],
  architecture: MlpArchitecture,
  training: GroupTrainingOptions,
  opts: ParallelTrainingOptions = {},
): Promise<MlpWeights[][]> {
  const threads = effectiveParallelism(groups.length, opts.parallelism);
  if (threads <= 1) return trainInProcess(pool, groups, architecture, training, opts);
  return trainInWorkers(pool, groups, architecture, training, opts, threads, trainingWorkerScript() as string);
}

async function trainInProcess(
  pool: TrainingData,
  groups: readonly TrainingGroup[],
  architecture: MlpArchitecture,
  training: GroupTrainingOptions,
  opts: ParallelTrainingOptions,
): Promise<MlpWeights[][]> {
  const results: MlpWeights[][] = [];
  for (const [g, group] of groups.entries()) {
    throwIfAborted(opts.signal);
    const models = await trainMlpOnSubsets(pool, group.inMask, architecture, {
      ...training,
      seeds: group.seeds,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    results.push(models);
    await opts.onGroupTrained?.(g, models);
  }
  return results;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('reference model training aborted');
}

function sharedCopy(values: Float32Array | Int32Array, length: number): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(length * values.BYTES_PER_ELEMENT);
  const view = values instanceof Float32Array ? new Float32Array(shared) : new Int32Array(shared);
  view.set(values.subarray(0, length));
  return shared;
}

function workerError(error: NonNullable<GroupResult['error']>): Error {
  return error.code !== undefined
    ? new EngineError(error.code, error.message, error.location)
    : new EngineError(EngineErrorCode.Internal, `reference model training failed in a worker: ${error.message}`);
}

function trainInWorkers(
  pool: TrainingData,
  groups: readonly TrainingGroup[],
  architecture: MlpArchitecture,
  training: GroupTrainingOptions,
  opts: ParallelTrainingOptions,
  threads: number,
  script: string,
): Promise<MlpWeights[][]> {
  throwIfAborted(opts.signal);
  const workerData: TrainingWorkerData = {
    features: sharedCopy(pool.features, pool.nRows * pool.nFeatures),
    labels: sharedCopy(pool.labels, pool.nRows),
    nRows: pool.nRows,
    nFeatures: pool.nFeatures,
    architecture,
    training,
  };
  const workers = Array.from({ length: threads }, () => new Worker(script, { workerData }));
  const results: MlpWeights[][] = new Array<MlpWeights[]>(groups.length);

  return new Promise<MlpWeights[][]>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let settled = false;
    const busy = new Set<Worker>();
    const exited = new Map<Worker, Promise<void>>(
      workers.map((w) => [w, new Promise<void>((done) => w.once('exit', () => done()))]),
    );
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      // An idle worker is terminated; a busy one stops at its next epoch and exits (see StopRequest), so an
      // abort or a failure elsewhere costs at most one more epoch per thread.
      const stopped = workers.map((w) => {
        if (busy.has(w)) w.postMessage({ stop: true } satisfies StopRequest);
        else void w.terminate();
        return exited.get(w) as Promise<void>;
      });
      void Promise.all(stopped).finally(() => (error === undefined ? resolve(results) : reject(error)));
    };
    const onAbort = (): void => settle(opts.signal?.reason ?? new Error('reference model training aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const dispatch = (worker: Worker): void => {
      if (settled || next >= groups.length) return;
      const job = next++;
      const group = groups[job] as TrainingGroup;
      const inMask = group.inMask.slice();
      busy.add(worker);
      worker.postMessage({ job, inMask, seeds: [...group.seeds] } satisfies TrainGroupRequest, [inMask.buffer]);
    };

    for (const worker of workers) {
      worker.on('message', (message: GroupResult) => {
        busy.delete(worker);
        if (settled) {
          void worker.terminate(); // it answered after all: idle now
          return;
        }
        if (message.error || !message.models) {
          settle(workerError(message.error ?? { message: 'no models returned' }));
          return;
        }
        const models = message.models;
        results[message.job] = models;
        Promise.resolve(opts.onGroupTrained?.(message.job, models)).then(() => {
          if (++finished === groups.length) settle();
          else dispatch(worker);
        }, settle);
      });
      worker.on('error', (e) =>
        settle(new EngineError(EngineErrorCode.Internal, `reference model training worker crashed: ${e.message}`)),
      );
      worker.on('exit', (code) => {
        if (!settled)
          settle(new EngineError(EngineErrorCode.Internal, `reference model training worker exited with code ${code}`));
      });
      dispatch(worker);
    }
  });
}
