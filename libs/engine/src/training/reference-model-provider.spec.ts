import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLabeledCsv } from '../data/csv-dataset';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import type { LabeledDataset, ReferenceModelSet } from '../types';
import type { MlpWeights } from './mlp';
import {
  PARALLEL_EFFICIENCY,
  assertWithinBudget,
  createReferenceModelProvider,
  estimateReferenceCost,
  referenceInMask,
  referenceModelIdentity,
  type ReferenceModelStore,
} from './reference-model-provider';
import { FileReferenceModelStore, decodeWeights, encodeWeights } from './reference-model-store';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';

// Real training on a shared 2-core machine: seconds, but more than jest's 5 s default.
jest.setTimeout(60_000);

const DIGITS = DIGITS_CSV;
// bench:training, one model, 10,000 rows, 10 epochs, CPU seconds (docs/ARCHITECTURE.md, Training).
const NARROW_CPU_SECONDS = 0.63;
const WIDE_CPU_SECONDS = 2.43;
const FAST = { epochs: 3, batchSize: 32, learningRate: 3e-3 };

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

/** A store that counts what the provider reads and writes. */
class CountingStore implements ReferenceModelStore {
  puts = 0;
  hits = 0;
  constructor(private readonly inner: ReferenceModelStore) {}
  async get(key: string) {
    const w = await this.inner.get(key);
    if (w) this.hits++;
    return w;
  }
  async put(key: string, w: MlpWeights) {
    this.puts++;
    await this.inner.put(key, w);
  }
}

async function allOutputs(set: ReferenceModelSet, ds: LabeledDataset): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let m = 0; m < set.k; m++) out.push((await set.predict(m, ds.features, ds.nRows)).probabilities);
  return out;
}

describe('reference IN/OUT assignment', () => {
  it.each([2, 4, 8])(
    'online: every pool record is IN for exactly K/2 of K = %i models, each model has about half',
    (k) => {
      const n = 500;
      const mask = referenceInMask('online', k, n, 300, 42);
      for (let i = 0; i < n; i++) {
        let nIn = 0;
        for (let m = 0; m < k; m++) nIn += mask[m * n + i]!;
        expect(nIn).toBe(k / 2);
      }
      for (let m = 0; m < k; m++) {
        const count = mask.subarray(m * n, (m + 1) * n).reduce((s, v) => s + v, 0);
        expect(Math.abs(count - n / 2)).toBeLessThan(n * 0.1);
      }
      expect(referenceInMask('online', k, n, 300, 42)).toEqual(mask);
      expect(referenceInMask('online', k, n, 300, 43)).not.toEqual(mask);
    },
  );

  it('online with odd K alternates floor and ceil of K/2', () => {
    const mask = referenceInMask('online', 3, 10, 4, 1);
    for (let i = 0; i < 10; i++) expect(mask[i]! + mask[10 + i]! + mask[20 + i]!).toBe(i % 2 === 0 ? 1 : 2);
  });

  it('online with a training-set size: audited records balanced, population fills each model up to it', () => {
    const k = 4;
    const nPopulation = 600;
    const n = nPopulation + 400;
    const mask = referenceInMask('online', k, n, nPopulation, 5, { trainSize: 300 });
    for (let i = nPopulation; i < n; i++) {
      let nIn = 0;
      for (let m = 0; m < k; m++) nIn += mask[m * n + i]!;
      expect(nIn).toBe(2);
    }
    for (let m = 0; m < k; m++) {
      const row = mask.subarray(m * n, (m + 1) * n);
      const audited = row.subarray(nPopulation).reduce((s, v) => s + v, 0);
      expect(audited).toBeGreaterThan(160);
      expect(audited).toBeLessThan(240);
      expect(row.reduce((s, v) => s + v, 0)).toBe(Math.max(300, audited));
    }
    // A training set smaller than half the audited records: each model holds about that many audited rows.
    const small = referenceInMask('online', 8, n, nPopulation, 5, { trainSize: 100 });
    for (let m = 0; m < 8; m++) {
      const audited = small.subarray(m * n + nPopulation, (m + 1) * n).reduce((s, v) => s + v, 0);
      const fromPopulation = small.subarray(m * n, m * n + nPopulation).reduce((s, v) => s + v, 0);
      expect(Math.abs(audited - 100)).toBeLessThan(30);
      expect(fromPopulation).toBe(Math.max(0, 100 - audited));
    }
  });

  it('online: copies of one content share their IN/OUT assignment', () => {
    const k = 4;
    const n = 50;
    const sameContent = Int32Array.from({ length: n }, (_, i) => i);
    sameContent[40] = 3; // record 40 repeats record 3 (e.g. a member twin of a population row)
    sameContent[41] = 3;
    const mask = referenceInMask('online', k, n, 20, 7, { trainSize: 10, sameContent });
    for (let m = 0; m < k; m++) {
      expect(mask[m * n + 40]).toBe(mask[m * n + 3]);
      expect(mask[m * n + 41]).toBe(mask[m * n + 3]);
    }
  });

  it('offline with a training-set size: that many population rows, at most half of them', () => {
    const mask = referenceInMask('offline', 3, 500, 400, 9, { trainSize: 120 });
    const capped = referenceInMask('offline', 3, 500, 400, 9, { trainSize: 1000 });
    for (let m = 0; m < 3; m++) {
      expect(mask.subarray(m * 500, (m + 1) * 500).reduce((s, v) => s + v, 0)).toBe(120);
      expect(capped.subarray(m * 500, (m + 1) * 500).reduce((s, v) => s + v, 0)).toBe(200);
    }
  });

  it('offline: audited rows are never IN; each model takes half of the population', () => {
    const k = 6;
    const n = 400;
    const nPopulation = 250;
    const mask = referenceInMask('offline', k, n, nPopulation, 9);
    for (let m = 0; m < k; m++) {
      const row = mask.subarray(m * n, (m + 1) * n);
      expect(row.subarray(nPopulation).every((v) => v === 0)).toBe(true);
      expect(row.subarray(0, nPopulation).reduce((s, v) => s + v, 0)).toBe(125);
    }
    expect(mask.subarray(0, n)).not.toEqual(mask.subarray(n, 2 * n));
  });
});

describe('reference architecture', () => {
  const part = (labels: number[]): LabeledDataset => ({
    featureNames: ['a', 'b'],
    nRows: labels.length,
    nFeatures: 2,
    features: Float32Array.from(labels.flatMap((l, i) => [l, i])),
    labels: Int32Array.from(labels),
    rowIds: labels.map((_, i) => String(i + 1)),
    sha256: 'x',
  });
  it("takes its class count from the target's signature, not from the largest label in the data", () => {
    // Labels 0-2 only, but the model has 5 outputs: a class the sample lacks is still one of its outputs.
    const args = { population: part([0, 1, 2, 0]), members: part([1, 2]), nonMembers: part([0, 2]), k: 2, seed: 1 };
    expect(referenceModelIdentity({ ...args, numClasses: 5 }).architecture.numClasses).toBe(5);
    expect(referenceModelIdentity(args).architecture.numClasses).toBe(3);
  });

  it('keeps the keys onnxruntime models had beside tfjs, and no key a tfjs build wrote matches one', () => {
    const args = { population: part([0, 1, 2, 0]), members: part([1, 2]), nonMembers: part([0, 2]), k: 2, seed: 1 };
    const byDefault = referenceModelIdentity(args).keyOf('online', 0);
    expect(referenceModelIdentity({ ...args, training: { trainer: 'onnxruntime' } }).keyOf('online', 0)).toBe(
      byDefault,
    );
    // Computed with the build before the tfjs trainer was removed (commit 5aaf225): its onnxruntime key for
    // these args, and its tfjs key (no trainer in the identity), which must never come out of this build.
    expect(byDefault).toBe('9c499d3cdc816494f4267feb802d356a75fa97ee2bd75e96f1a8cce977e26e13');
    const keys = ['online', 'offline'].flatMap((mode) =>
      [0, 1].map((m) => referenceModelIdentity(args).keyOf(mode as 'online' | 'offline', m)),
    );
    expect(keys).not.toContain('1570fbce3ddf5403f624ce4581714e85e08732a85a106060c3792ac2c1484c44');
  });
});

describe('cost estimate and budget guard', () => {
  const architecture = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' as const };
  it('scales with K, rows and epochs and refuses a run over budget', () => {
    const a = estimateReferenceCost({ k: 8, nRows: 900, architecture, epochs: 30 });
    const b = estimateReferenceCost({ k: 16, nRows: 900, architecture, epochs: 30 });
    expect(a.modelsToTrain).toBe(8);
    expect(b.estimatedSeconds).toBeCloseTo(2 * a.estimatedSeconds, 6);
    expect(estimateReferenceCost({ k: 8, nRows: 9000, architecture, epochs: 30 }).estimatedSeconds).toBeGreaterThan(
      5 * a.estimatedSeconds,
    );
    expect(() => assertWithinBudget(a, a.estimatedSeconds + 1)).not.toThrow();
    expect(() => assertWithinBudget(a, a.estimatedSeconds / 2)).toThrow(
      expect.objectContaining({ code: 'BUDGET_EXCEEDED' }),
    );
  });

  it('does not price below what bench:training measured, and counts the training threads', () => {
    const args = { k: 1, nRows: 20_000, rowsPerModel: 10_000, epochs: 10, parallelism: 1 };
    const narrow = { nFeatures: 16, hidden: [256, 128], numClasses: 26, activation: 'relu' as const };
    const wide = { nFeatures: 784, hidden: [256, 128], numClasses: 10, activation: 'relu' as const };
    // bench:training, one thread, CPU seconds per model (docs/ARCHITECTURE.md, Training)
    expect(estimateReferenceCost({ ...args, architecture: narrow }).estimatedSeconds).toBeGreaterThan(
      NARROW_CPU_SECONDS,
    );
    expect(estimateReferenceCost({ ...args, architecture: wide }).estimatedSeconds).toBeGreaterThan(WIDE_CPU_SECONDS);
    // 16 models in groups: two threads take 1 / (1 + PARALLEL_EFFICIENCY) of one thread's time; one group
    // (K = 1) cannot use a second thread.
    const sixteen = { k: 16, nRows: 2000, architecture, epochs: 30 };
    const oneThread = estimateReferenceCost({ ...sixteen, parallelism: 1 }).estimatedSeconds;
    expect(estimateReferenceCost({ ...sixteen, parallelism: 2 }).estimatedSeconds).toBeCloseTo(
      oneThread / (1 + PARALLEL_EFFICIENCY),
      9,
    );
    const single = { k: 1, nRows: 2000, architecture, epochs: 30 };
    expect(estimateReferenceCost({ ...single, parallelism: 2 }).estimatedSeconds).toBe(
      estimateReferenceCost({ ...single, parallelism: 1 }).estimatedSeconds,
    );
  });
});

describe('FileReferenceModelStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-refs-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const weights: MlpWeights = {
    architecture: { nFeatures: 3, hidden: [2], numClasses: 2, activation: 'tanh' },
    layers: [
      {
        inputs: 3,
        outputs: 2,
        weights: new Float32Array([0.1, -2.5, 3e-8, 1e6, -0, 7]),
        bias: new Float32Array([1, -1]),
      },
      {
        inputs: 2,
        outputs: 2,
        weights: new Float32Array([0.25, 0.5, 0.75, -1]),
        bias: new Float32Array([0.125, Math.PI]),
      },
    ],
  };

  it('round-trips weights exactly, atomically, and misses unknown or damaged entries', async () => {
    const store = new FileReferenceModelStore(path.join(dir, 'nested'));
    const key = 'ab'.repeat(32);
    expect(await store.get(key)).toBeUndefined();
    await store.put(key, weights);
    const back = await store.get(key);
    expect(back?.architecture).toEqual(weights.architecture);
    back!.layers.forEach((l, i) => {
      expect(Array.from(l.weights)).toEqual(Array.from(weights.layers[i]!.weights));
      expect(Array.from(l.bias)).toEqual(Array.from(weights.layers[i]!.bias));
    });
    expect(await fs.readdir(path.join(dir, 'nested'))).toEqual([`${key}.mlp`]);
    const bytes = encodeWeights(weights);
    expect(decodeWeights(bytes.subarray(0, bytes.length - 3))).toBeUndefined();
    await fs.writeFile(path.join(dir, 'nested', `${key}.mlp`), bytes.subarray(0, 20));
    expect(await store.get(key)).toBeUndefined();
  });

  it('refuses keys that could escape its directory', async () => {
    await expect(new FileReferenceModelStore(dir).put('../../etc/passwd', weights)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});

describe('createReferenceModelProvider', () => {
  let digits: LabeledDataset;
  let dir: string;
  beforeAll(async () => {
    digits = await loadLabeledCsv(DIGITS, { labelColumn: 'digit' });
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-refs-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const inputs = () => ({
    population: slice(digits, 0, 160),
    members: slice(digits, 160, 220),
    nonMembers: slice(digits, 220, 280),
    k: 2,
    seed: 77,
    training: FAST,
  });

  it('trains K models on the pool, memoises per mode, and a second provider with the same inputs trains nothing', async () => {
    const store1 = new CountingStore(new FileReferenceModelStore(dir));
    const progress: Array<[number, number]> = [];
    const provider = createReferenceModelProvider({
      ...inputs(),
      store: store1,
      onProgress: (d, t) => progress.push([d, t]),
    });
    const online = await provider.obtain('online');
    expect(await provider.obtain('online')).toBe(online);
    expect(online).toMatchObject({ mode: 'online', k: 2, nRecords: 280, nPopulation: 160 });
    expect(online.inMask).toHaveLength(2 * 280);
    expect(store1.puts).toBe(2);
    expect(progress.at(-1)).toEqual([2, 2]);
    const probe = slice(digits, 300, 310);
    const out = await online.predict(1, probe.features, probe.nRows);
    for (let r = 0; r < probe.nRows; r++)
      expect(out.probabilities.subarray(r * 10, r * 10 + 10).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(out.logits).toHaveLength(100);

    const store2 = new CountingStore(new FileReferenceModelStore(dir));
    const again = await createReferenceModelProvider({ ...inputs(), store: store2 }).obtain('online');
    expect(store2.puts).toBe(0);
    expect(store2.hits).toBe(2);
    expect(again.inMask).toEqual(online.inMask);
    expect(await allOutputs(again, probe)).toEqual(await allOutputs(online, probe));

    // Another seed is another set of models.
    const store3 = new CountingStore(new FileReferenceModelStore(dir));
    await createReferenceModelProvider({ ...inputs(), seed: 78, store: store3 }).obtain('online');
    expect(store3.puts).toBe(2);
  });

  it('resumes a crashed run: only missing models are trained, and they equal an uninterrupted run', async () => {
    const store = new CountingStore(new FileReferenceModelStore(dir));
    const full = await createReferenceModelProvider({ ...inputs(), store }).obtain('offline');
    expect(full.inMask.subarray(160, 280).every((v) => v === 0)).toBe(true);
    const files = await fs.readdir(dir);
    await fs.rm(path.join(dir, files[0]!));
    const resumedStore = new CountingStore(new FileReferenceModelStore(dir));
    const resumed = await createReferenceModelProvider({ ...inputs(), store: resumedStore }).obtain('offline');
    expect(resumedStore.hits).toBe(1);
    expect(resumedStore.puts).toBe(1);
    const probe = slice(digits, 300, 310);
    expect(await allOutputs(resumed, probe)).toEqual(await allOutputs(full, probe));
  });

  it('mirrors the target architecture read from its ONNX file', async () => {
    const target: MlpWeights = {
      architecture: { nFeatures: 64, hidden: [7], numClasses: 10, activation: 'tanh' },
      layers: [
        { inputs: 64, outputs: 7, weights: new Float32Array(64 * 7), bias: new Float32Array(7) },
        { inputs: 7, outputs: 10, weights: new Float32Array(70), bias: new Float32Array(10) },
      ],
    };
    const seen: MlpWeights[] = [];
    const store: ReferenceModelStore = {
      get: () => Promise.resolve(undefined),
      put: (_k, w) => Promise.resolve(void seen.push(w)),
    };
    await createReferenceModelProvider({ ...inputs(), k: 1, modelBytes: writeMlpOnnx(target), store }).obtain(
      'offline',
    );
    expect(seen.map((w) => w.architecture)).toEqual([target.architecture]);
  });

  it('refuses offline models without population data', async () => {
    const provider = createReferenceModelProvider({ ...inputs(), population: slice(digits, 0, 0) });
    await expect(provider.obtain('offline')).rejects.toMatchObject({ code: 'ATTACK_NEEDS_POPULATION' });
  });
});
