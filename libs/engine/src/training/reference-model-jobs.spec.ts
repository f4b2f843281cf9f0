import { loadLabeledCsv } from '../data/csv-dataset';
import type { LabeledDataset } from '../types';
import type { MlpWeights } from './mlp';
import { planReferenceModels, trainReferenceModelIntoStore } from './reference-model-jobs';
import { createReferenceModelProvider, type ReferenceModelStore } from './reference-model-provider';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';

jest.setTimeout(60_000);

const FAST = { epochs: 2, batchSize: 32, learningRate: 3e-3 };

class MemoryStore implements ReferenceModelStore {
  readonly models = new Map<string, MlpWeights>();
  puts = 0;
  async get(key: string) {
    return this.models.get(key);
  }
  async put(key: string, w: MlpWeights) {
    this.puts++;
    this.models.set(key, w);
  }
}

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

describe('reference models trained one job at a time', () => {
  let args: {
    population: LabeledDataset;
    members: LabeledDataset;
    nonMembers: LabeledDataset;
    k: number;
    seed: number;
    training: typeof FAST;
    parallelism: number;
  };
  beforeAll(async () => {
    const all = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
    args = {
      members: slice(all, 0, 40),
      nonMembers: slice(all, 40, 80),
      population: slice(all, 80, 200),
      k: 2,
      seed: 5,
      training: FAST,
      parallelism: 1,
    };
  });

  it('plans the keys the provider stores with modelsPerGraph 1, and trains bit-identical models', async () => {
    const providerStore = new MemoryStore();
    const provider = createReferenceModelProvider({ ...args, store: providerStore, modelsPerGraph: 1 });
    await provider.obtain('online');
    await provider.obtain('offline');

    const planned = planReferenceModels(args, ['online', 'offline']);
    expect(planned.map((p) => [p.mode, p.m])).toEqual([
      ['online', 0],
      ['online', 1],
      ['offline', 0],
      ['offline', 1],
    ]);
    expect(new Set(planned.map((p) => p.key))).toEqual(new Set(providerStore.models.keys()));

    const jobStore = new MemoryStore();
    for (const p of planned) expect(await trainReferenceModelIntoStore(args, p.mode, p.m, jobStore)).toBe('trained');
    for (const p of planned) {
      const a = jobStore.models.get(p.key) as MlpWeights;
      const b = providerStore.models.get(p.key) as MlpWeights;
      expect(a.layers.map((l) => Array.from(l.weights))).toEqual(b.layers.map((l) => Array.from(l.weights)));
      expect(a.layers.map((l) => Array.from(l.bias))).toEqual(b.layers.map((l) => Array.from(l.bias)));
    }

    // A provider over the job-filled store trains nothing.
    const reuse = new MemoryStore();
    for (const [k, w] of jobStore.models) reuse.models.set(k, w);
    await createReferenceModelProvider({ ...args, store: reuse, modelsPerGraph: 1 }).obtain('online');
    expect(reuse.puts).toBe(0);
  });

  it('skips a model whose key is already stored', async () => {
    const store = new MemoryStore();
    expect(await trainReferenceModelIntoStore(args, 'offline', 1, store)).toBe('trained');
    expect(await trainReferenceModelIntoStore(args, 'offline', 1, store)).toBe('cached');
    expect(store.puts).toBe(1);
  });

  it('keys differ from the provider default grouping (a graph of several models is another model)', () => {
    const [one] = planReferenceModels({ ...args, k: 4 }, ['online']);
    expect(one?.key).toMatch(/^[0-9a-f]{64}$/);
    expect(() => planReferenceModels({ ...args, k: 0 }, ['online'])).toThrow(/positive integer/);
  });
});
