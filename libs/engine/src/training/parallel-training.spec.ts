// Worker threads run the compiled dist/ build: `npm test` builds first; by hand run `npx tsc -p tsconfig.build.json`.
// Not `import * as`: that makes an interop copy of the module, which a spy on it would not reach.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import workerThreads = require('node:worker_threads');
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { loadLabeledCsv } from '../data/csv-dataset';
import type { LabeledDataset } from '../types';
import type { MlpArchitecture, MlpWeights, TrainingData } from './mlp';
import {
  effectiveParallelism,
  trainGroupsInParallel,
  trainingWorkerScript,
  type TrainingGroup,
} from './parallel-training';
import { createReferenceModelProvider, referenceGroupSize } from './reference-model-provider';

jest.setTimeout(60_000);

const ARCH: MlpArchitecture = { nFeatures: 64, hidden: [16], numClasses: 10, activation: 'relu' };
const FAST = { epochs: 3, batchSize: 32, learningRate: 3e-3 };

let digits: LabeledDataset;
let pool: TrainingData;
beforeAll(async () => {
  digits = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
  pool = {
    features: digits.features.slice(0, 300 * 64),
    labels: digits.labels.slice(0, 300),
    nRows: 300,
    nFeatures: 64,
  };
});

/** Group g has `size` models; model t of group g trains on the rows i with (i + g + t) % 3 !== 0. */
function groups(count: number, size: number): TrainingGroup[] {
  return Array.from({ length: count }, (_, g) => {
    const inMask = new Uint8Array(size * 300);
    for (let t = 0; t < size; t++) for (let i = 0; i < 300; i++) inMask[t * 300 + i] = (i + g + t) % 3 !== 0 ? 1 : 0;
    return { inMask, seeds: Array.from({ length: size }, (_, t) => 100 * g + t + 1) };
  });
}

const flat = (models: MlpWeights[][]) =>
  models.flat().flatMap((w) => w.layers.flatMap((l) => [...l.weights, ...l.bias]));

function slice(ds: LabeledDataset, from: number, to: number): LabeledDataset {
  const d = ds.nFeatures;
  return {
    ...ds,
    nRows: to - from,
    features: ds.features.slice(from * d, to * d),
    labels: ds.labels.slice(from, to),
    rowIds: ds.rowIds.slice(from, to),
  };
}

describe('effectiveParallelism', () => {
  it('defaults to at most 2 threads and never more than the groups, and refuses nonsense', () => {
    expect(effectiveParallelism(1)).toBe(1);
    expect(effectiveParallelism(5, 1)).toBe(1);
    expect(effectiveParallelism(5)).toBeLessThanOrEqual(2);
    expect(() => effectiveParallelism(3, 0)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => effectiveParallelism(3, 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('finds the compiled worker script of the dist/ build', () => {
    // Fails when dist/ is missing: build with `npx tsc -p tsconfig.build.json` (npm test does).
    expect(trainingWorkerScript()).toMatch(
      /dist[\\/]libs[\\/]engine[\\/]src[\\/]training[\\/]parallel-training-worker\.js$/,
    );
    expect(effectiveParallelism(5, 2)).toBe(2);
  });
});

describe('trainGroupsInParallel', () => {
  const started: workerThreads.Worker[] = [];
  beforeEach(() => {
    started.length = 0;
    const RealWorker = workerThreads.Worker;
    jest.spyOn(workerThreads, 'Worker').mockImplementation((script, options) => {
      const worker = new RealWorker(script, options);
      started.push(worker);
      return worker;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('gives bit-identical weights in 2 worker threads and in-process, and terminates its workers', async () => {
    const jobs = groups(3, 2);
    const finished: number[] = [];
    const inWorkers = await trainGroupsInParallel(pool, jobs, ARCH, FAST, {
      parallelism: 2,
      onGroupTrained: (g) => void finished.push(g),
    });
    expect(started).toHaveLength(2);
    // threadId becomes -1 once a worker has exited.
    expect(started.map((w) => w.threadId)).toEqual([-1, -1]);
    expect(finished.sort()).toEqual([0, 1, 2]);
    const inProcess = await trainGroupsInParallel(pool, jobs, ARCH, FAST, { parallelism: 1 });
    expect(started).toHaveLength(2);
    expect(inWorkers.map((g) => g.length)).toEqual([2, 2, 2]);
    expect(flat(inWorkers)).toEqual(flat(inProcess));
    // Different seeds, different models: the comparison above is not trivially true.
    expect(flat(inWorkers).slice(0, 50)).not.toEqual(
      flat(inWorkers).slice((2 * flat(inWorkers).length) / 6, (2 * flat(inWorkers).length) / 6 + 50),
    );
  });

  it('passes an EngineError thrown in a worker back with its code and location', async () => {
    const bad = { ...pool, labels: pool.labels.slice() };
    bad.labels[7] = 42;
    await expect(trainGroupsInParallel(bad, groups(2, 1), ARCH, FAST, { parallelism: 2 })).rejects.toMatchObject({
      code: 'LABEL_OUT_OF_RANGE',
      location: { row: 8 },
    });
    expect(started.map((w) => w.threadId)).toEqual([-1, -1]);
  });

  it('stops on abort: rejects with the abort reason and trains no further group', async () => {
    const controller = new AbortController();
    const finished: number[] = [];
    const run = trainGroupsInParallel(
      pool,
      groups(6, 1),
      ARCH,
      { ...FAST, epochs: 20 },
      {
        parallelism: 2,
        signal: controller.signal,
        onGroupTrained: (g) => {
          finished.push(g);
          controller.abort(new Error('cancelled by user'));
        },
      },
    );
    await expect(run).rejects.toThrow('cancelled by user');
    expect(finished).toHaveLength(1);
    expect(started.map((w) => w.threadId)).toEqual([-1, -1]);
  });
});

describe('referenceGroupSize', () => {
  it('gives both threads a group from K = 2 on, and trains large models alone in their graph', () => {
    expect([1, 2, 3, 4, 8, 16, 32].map((k) => referenceGroupSize(k))).toEqual([1, 1, 2, 2, 4, 8, 8]);
    const small: MlpArchitecture = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' };
    const large: MlpArchitecture = { nFeatures: 64, hidden: [128], numClasses: 10, activation: 'relu' };
    expect(referenceGroupSize(16, small)).toBe(8);
    expect(referenceGroupSize(16, large)).toBe(1);
  });
});

describe('reference model provider across threads', () => {
  it('trains the same reference models with parallelism 1 and 2', async () => {
    const args = {
      population: slice(digits, 0, 200),
      members: slice(digits, 200, 260),
      nonMembers: slice(digits, 260, 320),
      k: 4,
      seed: 3,
      training: FAST,
    };
    const one = await createReferenceModelProvider({ ...args, parallelism: 1 }).obtain('online');
    const two = await createReferenceModelProvider({ ...args, parallelism: 2 }).obtain('online');
    const probe = slice(digits, 400, 420);
    for (let m = 0; m < 4; m++) {
      expect((await two.predict(m, probe.features, probe.nRows)).logits).toEqual(
        (await one.predict(m, probe.features, probe.nRows)).logits,
      );
    }
  });
});
