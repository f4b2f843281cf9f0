import { loadLabeledCsv } from '../data/csv-dataset';
import type { LabeledDataset } from '../types';
import type { MlpArchitecture, MlpWeights, TrainingData } from './mlp';
import { mlpForward } from './mlp-forward';
import {
  DEFAULT_MLP_TRAINER,
  trainMlp as trainMlpWith,
  trainMlpBatch as trainMlpBatchWith,
  trainMlpOnSubsets as trainMlpOnSubsetsWith,
} from './mlp-trainer';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';

// Real training on a shared 2-core machine takes longer than jest's 5 s default. No assertion on time: speed is
// measured by the benches (bench/), never asserted in a test.
jest.setTimeout(60_000);

const DIGITS = DIGITS_CSV;
const ARCH: MlpArchitecture = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' };

function rows(ds: TrainingData, from: number, to: number): TrainingData {
  const d = ds.nFeatures;
  return {
    nFeatures: d,
    nRows: to - from,
    features: ds.features.slice(from * d, to * d),
    labels: ds.labels.slice(from, to),
  };
}

function pick(ds: TrainingData, keep: (i: number) => boolean): TrainingData {
  const idx = Array.from({ length: ds.nRows }, (_, i) => i).filter(keep);
  const d = ds.nFeatures;
  const features = new Float32Array(idx.length * d);
  idx.forEach((r, j) => features.set(ds.features.subarray(r * d, (r + 1) * d), j * d));
  return { nFeatures: d, nRows: idx.length, features, labels: Int32Array.from(idx, (r) => ds.labels[r]!) };
}

function predictions(w: MlpWeights, ds: TrainingData): Int32Array {
  const { probabilities } = mlpForward(w, ds.features, ds.nRows);
  const c = w.architecture.numClasses;
  return Int32Array.from({ length: ds.nRows }, (_, i) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (probabilities[i * c + j]! > probabilities[i * c + best]!) best = j;
    return best;
  });
}

function accuracy(w: MlpWeights, ds: TrainingData): number {
  const p = predictions(w, ds);
  return p.filter((v, i) => v === ds.labels[i]).length / ds.nRows;
}

it('trains with onnxruntime, the only trainer left in the engine (tfjs lives on in bench/legacy/)', async () => {
  expect(DEFAULT_MLP_TRAINER).toBe('onnxruntime');
  const data: TrainingData = { features: new Float32Array(4), labels: new Int32Array(2), nRows: 2, nFeatures: 2 };
  const arch: MlpArchitecture = { nFeatures: 2, hidden: [], numClasses: 2, activation: 'relu' };
  const opts = { epochs: 1, batchSize: 2, learningRate: 0.1, seed: 1 };
  await expect(trainMlpWith(data, arch, { ...opts, trainer: 'tfjs' as never })).rejects.toMatchObject({
    code: 'INVALID_OPTION',
  });
});

describe('MLP trainer', () => {
  const trainMlp = trainMlpWith;
  const trainMlpBatch = trainMlpBatchWith;
  const trainMlpOnSubsets = trainMlpOnSubsetsWith;

  let digits: LabeledDataset;
  beforeAll(async () => {
    digits = await loadLabeledCsv(DIGITS, { labelColumn: 'digit' });
  });

  it('gives bit-identical weights for the same seed and different ones for another seed', async () => {
    const data = rows(digits, 0, 150);
    const opts = { epochs: 3, batchSize: 32, learningRate: 2e-3, seed: 11 };
    const a = await trainMlp(data, ARCH, opts);
    const b = await trainMlp(data, ARCH, opts);
    const c = await trainMlp(data, ARCH, { ...opts, seed: 12 });
    a.layers.forEach((layer, l) => {
      expect(Array.from(layer.weights)).toEqual(Array.from(b.layers[l]!.weights));
      expect(Array.from(layer.bias)).toEqual(Array.from(b.layers[l]!.bias));
    });
    expect(Array.from(a.layers[0]!.weights)).not.toEqual(Array.from(c.layers[0]!.weights));
  });

  it('fits 300 digits rows to >= 95% train accuracy', async () => {
    const data = rows(digits, 0, 300);
    const losses: number[] = [];
    const w = await trainMlp(data, ARCH, {
      epochs: 25,
      batchSize: 32,
      learningRate: 3e-3,
      seed: 3,
      onEpoch: (_, loss) => losses.push(loss),
    });
    expect(accuracy(w, data)).toBeGreaterThanOrEqual(0.95);
    expect(losses).toHaveLength(25);
    expect(losses[24]!).toBeLessThan(losses[0]! / 4);
    expect(w.layers.map((l) => [l.inputs, l.outputs])).toEqual([
      [64, 64],
      [64, 10],
    ]);
  });

  it('folds standardisation into the first layer: a per-feature affine rescaling of the data changes nothing', async () => {
    const data = rows(digits, 0, 200);
    // Feature j becomes x * (1 + 37 j) + 5 j: wildly different scales and offsets per feature.
    const scaled: TrainingData = {
      ...data,
      features: data.features.map((v, i) => v * (1 + 37 * (i % 64)) + 5 * (i % 64)),
    };
    const opts = { epochs: 4, batchSize: 32, learningRate: 2e-3, seed: 5 };
    const plain = await trainMlp(data, ARCH, opts);
    const onScaled = await trainMlp(scaled, ARCH, opts);
    const p1 = mlpForward(plain, data.features, data.nRows).probabilities;
    const p2 = mlpForward(onScaled, scaled.features, scaled.nRows).probabilities;
    let maxDiff = 0;
    for (let i = 0; i < p1.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p1[i]! - p2[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    // Without standardisation the same rescaling wrecks the fit, so the check above is not vacuous.
    const unstandardised = await trainMlp(scaled, ARCH, { ...opts, standardize: false });
    const p3 = mlpForward(unstandardised, scaled.features, scaled.nRows).probabilities;
    let diff3 = 0;
    for (let i = 0; i < p1.length; i++) diff3 = Math.max(diff3, Math.abs(p1[i]! - p3[i]!));
    expect(diff3).toBeGreaterThan(0.1);
  });

  it('trains K models at once as well as one by one', async () => {
    const pool = rows(digits, 0, 600);
    const heldOut = rows(digits, 600, 900);
    const k = 4;
    const inMask = new Uint8Array(k * pool.nRows);
    for (let m = 0; m < k; m++)
      for (let i = 0; i < pool.nRows; i++) inMask[m * pool.nRows + i] = (i + m) % 4 < 2 ? 1 : 0;
    const opts = { epochs: 15, batchSize: 32, learningRate: 3e-3 };
    const seeds = [21, 22, 23, 24];
    const batched = await trainMlpOnSubsets(pool, inMask, ARCH, { ...opts, seeds });
    const sequential: MlpWeights[] = [];
    for (let m = 0; m < k; m++)
      sequential.push(
        await trainMlp(
          pick(pool, (i) => inMask[m * pool.nRows + i] === 1),
          ARCH,
          { ...opts, seed: seeds[m]! },
        ),
      );
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const batchedTrain = batched.map((w, m) =>
      accuracy(
        w,
        pick(pool, (i) => inMask[m * pool.nRows + i] === 1),
      ),
    );
    expect(Math.min(...batchedTrain)).toBeGreaterThanOrEqual(0.97);
    const batchedHeldOut = mean(batched.map((w) => accuracy(w, heldOut)));
    const sequentialHeldOut = mean(sequential.map((w) => accuracy(w, heldOut)));
    expect(Math.abs(batchedHeldOut - sequentialHeldOut)).toBeLessThan(0.03);
  });

  it('keeps the K models of one graph apart: a model never learns from rows that are OUT for it', async () => {
    const pool = rows(digits, 0, 400);
    // Model 0 sees only digits 0-4, model 1 only digits 5-9.
    const low = pick(pool, (i) => pool.labels[i]! < 5);
    const high = pick(pool, (i) => pool.labels[i]! >= 5);
    const [m0, m1] = await trainMlpBatch([low, high], ARCH, {
      epochs: 8,
      batchSize: 32,
      learningRate: 3e-3,
      seeds: [1, 2],
    });
    expect(Array.from(predictions(m0!, pool)).every((p) => p < 5)).toBe(true);
    expect(Array.from(predictions(m1!, pool)).every((p) => p >= 5)).toBe(true);
  });

  it('refuses labels outside the architecture and a model with no rows', async () => {
    const data = rows(digits, 0, 20);
    await expect(
      trainMlp(data, { ...ARCH, numClasses: 3 }, { epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 1 }),
    ).rejects.toMatchObject({
      code: 'LABEL_OUT_OF_RANGE',
    });
    await expect(
      trainMlpOnSubsets(data, new Uint8Array(40).fill(1, 0, 20), ARCH, {
        epochs: 1,
        batchSize: 8,
        learningRate: 1e-3,
        seeds: [1, 2],
      }),
    ).rejects.toMatchObject({
      code: 'TOO_FEW_ROWS',
    });
  });
});
