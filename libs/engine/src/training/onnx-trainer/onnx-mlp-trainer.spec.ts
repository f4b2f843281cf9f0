import { loadLabeledCsv } from '../../data/csv-dataset';
import { SeededRandom } from '../../random/seeded-random';
import type { LabeledDataset } from '../../types';
import { DIGITS_CSV } from '../../../../../test/fixtures/datasets';
import type { Activation, MlpArchitecture, MlpWeights, TrainingData } from '../mlp';
import { mlpForward } from '../mlp-forward';
import { trainMlpOnSubsetsOnnx, trainMlpOnnx } from './onnx-mlp-trainer';
import { trainMlpOnSubsetsReference } from './reference-mlp-training';

// Real training on a shared 2-core machine; no assertion on time (bench/training.ts measures speed).
jest.setTimeout(120_000);

function rows(ds: TrainingData, from: number, to: number): TrainingData {
  const d = ds.nFeatures;
  return {
    nFeatures: d,
    nRows: to - from,
    features: ds.features.slice(from * d, to * d),
    labels: ds.labels.slice(from, to),
  };
}

function accuracy(w: MlpWeights, ds: TrainingData): number {
  const { probabilities } = mlpForward(w, ds.features, ds.nRows);
  const c = w.architecture.numClasses;
  let correct = 0;
  for (let i = 0; i < ds.nRows; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (probabilities[i * c + j]! > probabilities[i * c + best]!) best = j;
    if (best === ds.labels[i]) correct++;
  }
  return correct / ds.nRows;
}

function maxAbsDiff(a: MlpWeights, b: MlpWeights): number {
  let max = 0;
  a.layers.forEach((l, i) => {
    const o = b.layers[i]!;
    expect(o.inputs).toBe(l.inputs);
    expect(o.outputs).toBe(l.outputs);
    l.weights.forEach((v, j) => (max = Math.max(max, Math.abs(v - o.weights[j]!))));
    l.bias.forEach((v, j) => (max = Math.max(max, Math.abs(v - o.bias[j]!))));
  });
  return max;
}

function maxAbs(w: MlpWeights): number {
  let max = 0;
  for (const l of w.layers) for (const v of [...l.weights, ...l.bias]) max = Math.max(max, Math.abs(v));
  return max;
}

/** Two models on overlapping halves of the pool, plus rows no model trains on. */
function twoModelMask(n: number, seed: number): Uint8Array {
  const rng = new SeededRandom(seed);
  const mask = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    if (i % 7 === 6) continue; // never IN
    mask[i] = rng.next() < 0.5 ? 1 : 0;
    mask[n + i] = rng.next() < 0.5 ? 1 : 0;
    if (!mask[i] && !mask[n + i]) mask[i] = 1;
  }
  return mask;
}

describe('onnxruntime MLP trainer', () => {
  let digits: LabeledDataset;
  beforeAll(async () => {
    digits = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
  });

  describe.each<[Activation, 'adam' | 'sgd', number]>([
    ['relu', 'adam', 0],
    ['tanh', 'adam', 1e-3],
    ['sigmoid', 'sgd', 1e-3],
  ])('against an independent double-precision implementation (%s, %s, l2 %s)', (activation, optimizer, l2) => {
    it('gives the same weights and loss curve after 3 epochs of 2 stacked models with IN masks', async () => {
      const pool = rows(digits, 0, 120);
      const arch: MlpArchitecture = { nFeatures: 64, hidden: [12, 7], numClasses: 10, activation };
      const inMask = twoModelMask(pool.nRows, 3);
      const opts = {
        epochs: 3,
        batchSize: 16,
        learningRate: optimizer === 'adam' ? 5e-3 : 0.1,
        l2,
        seeds: [21, 22],
        optimizer,
      };
      const onnxLosses: number[] = [];
      const models = await trainMlpOnSubsetsOnnx(pool, inMask, arch, {
        ...opts,
        onEpoch: (_, loss) => onnxLosses.push(loss),
      });
      const reference = trainMlpOnSubsetsReference(pool, inMask, arch, opts);
      models.forEach((m, i) => {
        const ref = reference.models[i]!;
        // float32 against double over 3 epochs (measured: about 1e-6 on weights up to 5)
        expect(maxAbsDiff(m, ref)).toBeLessThan(2e-5 * Math.max(1, maxAbs(ref)));
      });
      // Model 0 alone: the K = 1 graph (inputs standardised on the host, Gemm transA / transB backward).
      const alone = new Uint8Array(inMask.subarray(0, pool.nRows));
      const single = { ...opts, seeds: [21] };
      const [one] = await trainMlpOnSubsetsOnnx(pool, alone, arch, single);
      const oneRef = trainMlpOnSubsetsReference(pool, alone, arch, single).models[0]!;
      expect(maxAbsDiff(one!, oneRef)).toBeLessThan(2e-5 * Math.max(1, maxAbs(oneRef)));
      expect(onnxLosses).toHaveLength(3);
      onnxLosses.forEach((loss, e) => expect(loss).toBeCloseTo(reference.epochLosses[e]!, 5));
      // it learnt something
      expect(onnxLosses[2]!).toBeLessThan(onnxLosses[0]!);
    });
  });

  it('trains on soft targets (probabilities) as the double-precision reference does', async () => {
    const base = rows(digits, 0, 120);
    const c = 10;
    const rng = new SeededRandom(77);
    // soft targets: a random distribution per row, its argmax as the label
    const targets = new Float32Array(base.nRows * c);
    const labels = new Int32Array(base.nRows);
    for (let i = 0; i < base.nRows; i++) {
      let sum = 0;
      for (let j = 0; j < c; j++) sum += targets[i * c + j] = rng.next() ** 3;
      let best = 0;
      for (let j = 0; j < c; j++) {
        targets[i * c + j] = targets[i * c + j]! / sum;
        if (targets[i * c + j]! > targets[i * c + best]!) best = j;
      }
      labels[i] = best;
    }
    const pool: TrainingData = { ...base, labels, targets };
    const arch: MlpArchitecture = { nFeatures: 64, hidden: [12], numClasses: c, activation: 'tanh' };
    const inMask = twoModelMask(pool.nRows, 4);
    const opts = { epochs: 3, batchSize: 16, learningRate: 5e-3, seeds: [31, 32] };
    const onnxLosses: number[] = [];
    const models = await trainMlpOnSubsetsOnnx(pool, inMask, arch, { ...opts, onEpoch: (_, l) => onnxLosses.push(l) });
    const reference = trainMlpOnSubsetsReference(pool, inMask, arch, { ...opts, optimizer: 'adam', l2: 0 });
    const hard = await trainMlpOnSubsetsOnnx(base, inMask, arch, opts);
    models.forEach((m, i) => {
      expect(maxAbsDiff(m, reference.models[i]!)).toBeLessThan(2e-5 * Math.max(1, maxAbs(reference.models[i]!)));
      // the soft targets changed what was learnt
      expect(maxAbsDiff(m, hard[i]!)).toBeGreaterThan(1e-3);
    });
    onnxLosses.forEach((loss, e) => expect(loss).toBeCloseTo(reference.epochLosses[e]!, 5));
  });

  it('matches the independent double-precision reference on digits: loss curve, weights and accuracy', async () => {
    const train = rows(digits, 0, 1200);
    const test = rows(digits, 1200, 1797);
    const arch: MlpArchitecture = { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' };
    const inMask = twoModelMask(train.nRows, 9);
    const opts = { epochs: 8, batchSize: 32, learningRate: 2e-3, l2: 1e-4, seeds: [5, 6] };
    const onnxLosses: number[] = [];
    const onnx = await trainMlpOnSubsetsOnnx(train, inMask, arch, { ...opts, onEpoch: (_, l) => onnxLosses.push(l) });
    const reference = trainMlpOnSubsetsReference(train, inMask, arch, { ...opts, optimizer: 'adam' });
    // float32 kernels against double precision over 8 epochs of Adam: the loss curves agree to 1e-4, the
    // weights to 1e-3 of their size, the held-out accuracy to a row or so.
    expect(onnxLosses).toHaveLength(8);
    onnxLosses.forEach((loss, e) =>
      expect(Math.abs(loss - reference.epochLosses[e]!)).toBeLessThan(1e-4 * Math.max(1, reference.epochLosses[e]!)),
    );
    expect(onnxLosses[7]!).toBeLessThan(0.2);
    onnx.forEach((m, i) => {
      const ref = reference.models[i]!;
      expect(Math.abs(accuracy(m, test) - accuracy(ref, test))).toBeLessThan(0.01);
      expect(accuracy(m, test)).toBeGreaterThan(0.85);
      expect(maxAbsDiff(m, ref)).toBeLessThan(1e-3 * maxAbs(ref));
    });
    // One model alone (the graph on host-standardised inputs, Gemm transA / transB backward) as well.
    const alone = new Uint8Array(inMask.subarray(0, train.nRows));
    const [single] = await trainMlpOnSubsetsOnnx(train, alone, arch, { ...opts, seeds: [5] });
    const singleRef = trainMlpOnSubsetsReference(train, alone, arch, { ...opts, seeds: [5], optimizer: 'adam' });
    expect(maxAbsDiff(single!, singleRef.models[0]!)).toBeLessThan(1e-3 * maxAbs(singleRef.models[0]!));
    expect(Math.abs(accuracy(single!, test) - accuracy(singleRef.models[0]!, test))).toBeLessThan(0.01);
  });

  it('gives identical weights for the same seed and different ones for another seed', async () => {
    const data = rows(digits, 0, 300);
    const arch: MlpArchitecture = { nFeatures: 64, hidden: [32], numClasses: 10, activation: 'relu' };
    const opts = { epochs: 3, batchSize: 32, learningRate: 2e-3, seed: 11 };
    const a = await trainMlpOnnx(data, arch, opts);
    const b = await trainMlpOnnx(data, arch, opts);
    const c = await trainMlpOnnx(data, arch, { ...opts, seed: 12 });
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0.01);
    // Asking for the loss curve (a graph that also sums the loss) changes no weight.
    const losses: number[] = [];
    const withLoss = await trainMlpOnnx(data, arch, { ...opts, onEpoch: (_, l) => losses.push(l) });
    expect(losses).toHaveLength(3);
    expect(maxAbsDiff(a, withLoss)).toBe(0);
    expect(a.layers.map((l) => [l.inputs, l.outputs])).toEqual([
      [64, 32],
      [32, 10],
    ]);
  });

  it('never lets a model learn from its OUT rows', async () => {
    const pool = rows(digits, 0, 400);
    const arch: MlpArchitecture = { nFeatures: 64, hidden: [16], numClasses: 10, activation: 'tanh' };
    const inMask = twoModelMask(pool.nRows, 4);
    // Change every row that is OUT for model 0 (features and label); model 0 must not notice, model 1 must.
    const altered: TrainingData = {
      ...pool,
      features: pool.features.map((v, j) => (inMask[Math.floor(j / 64)] ? v : 16 - v)),
      labels: pool.labels.map((l, i) => (inMask[i] ? l : (l + 3) % 10)),
    };
    const opts = { epochs: 3, batchSize: 16, learningRate: 3e-3, seeds: [1, 2] };
    const [a0, a1] = await trainMlpOnSubsetsOnnx(pool, inMask, arch, opts);
    const [b0, b1] = await trainMlpOnSubsetsOnnx(altered, inMask, arch, opts);
    expect(maxAbsDiff(a0!, b0!)).toBe(0);
    expect(maxAbsDiff(a1!, b1!)).toBeGreaterThan(1e-3);
  });

  it('stops each model once it fits its IN rows, keeping that epoch’s weights', async () => {
    const pool = rows(digits, 0, 400);
    const arch: MlpArchitecture = { nFeatures: 64, hidden: [32], numClasses: 10, activation: 'relu' };
    const inMask = twoModelMask(pool.nRows, 8);
    const base = { batchSize: 32, learningRate: 3e-3, seeds: [3, 4] };
    const goal = { loss: 0.3, accuracy: 0.95 };
    const stopped = await trainMlpOnSubsetsOnnx(pool, inMask, arch, { ...base, epochs: 60, stopAtFit: goal });
    const inRows = (m: number): TrainingData => {
      const idx = Array.from({ length: pool.nRows }, (_, i) => i).filter((i) => inMask[m * pool.nRows + i]);
      const features = new Float32Array(idx.length * 64);
      idx.forEach((r, j) => features.set(pool.features.subarray(r * 64, (r + 1) * 64), j * 64));
      return { nFeatures: 64, nRows: idx.length, features, labels: Int32Array.from(idx, (r) => pool.labels[r]!) };
    };
    for (let m = 0; m < 2; m++) expect(accuracy(stopped[m]!, inRows(m))).toBeGreaterThanOrEqual(goal.accuracy - 0.005);
    // Each stopped model is the model of some earlier epoch count: train to each count until both are found.
    let matched = [false, false];
    for (let epochs = 1; epochs <= 60 && !matched.every(Boolean); epochs++) {
      const models = await trainMlpOnSubsetsOnnx(pool, inMask, arch, { ...base, epochs });
      matched = matched.map((done, m) => done || maxAbsDiff(models[m]!, stopped[m]!) === 0);
    }
    expect(matched).toEqual([true, true]);
    // and not trained to the cap
    const capped = await trainMlpOnSubsetsOnnx(pool, inMask, arch, { ...base, epochs: 60 });
    for (let m = 0; m < 2; m++) expect(maxAbsDiff(capped[m]!, stopped[m]!)).toBeGreaterThan(0);
  });
});
