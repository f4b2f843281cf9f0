// Benchmark (not a test): the cost of the K reference models that LiRA (Carlini et al., S&P 2022) and
// RMIA (Zarifzadeh et al., ICML 2024) need, trained one by one versus K at once in one tfjs graph.
// Prints wall time, models per minute, held-out accuracy and peak RSS; asserts nothing about time.
// Run: npm run build && node dist/bench/mia-training.js [epochs]
import * as path from 'node:path';
import { benchDataDir } from './datasets';
import { loadLabeledCsv } from '../libs/engine/src/data/csv-dataset';
import { SeededRandom } from '../libs/engine/src/random/seeded-random';
import type { LabeledDataset } from '../libs/engine/src/types';
import type { MlpArchitecture, MlpWeights, TrainingData } from '../libs/engine/src/training/mlp';
import { mlpForward } from '../libs/engine/src/training/mlp-forward';
import { trainMlp, trainMlpOnSubsets } from '../libs/engine/src/training/mlp-trainer';
import { MODELS_PER_GRAPH, referenceInMask } from '../libs/engine/src/training/reference-model-provider';
import { initTensorflow } from '../libs/engine/src/training/tf-backend';
import { selectRows } from '../libs/engine/src/data/select-rows';

const DATASETS = benchDataDir();
const SATELLITE_CLASSES = [
  'red soil',
  'cotton crop',
  'grey soil',
  'damp grey soil',
  'vegetation stubble',
  'very damp grey soil',
];
const KS = [2, 8, 16];
const EPOCHS = Number(process.argv[2] ?? 30);
const TRAINING = { epochs: EPOCHS, batchSize: 64, learningRate: 2e-3 };

function subset(pool: TrainingData, inMask: Uint8Array, m: number): TrainingData {
  const rows: number[] = [];
  for (let i = 0; i < pool.nRows; i++) if (inMask[m * pool.nRows + i]) rows.push(i);
  const d = pool.nFeatures;
  const features = new Float32Array(rows.length * d);
  rows.forEach((r, j) => features.set(pool.features.subarray(r * d, (r + 1) * d), j * d));
  return { features, labels: Int32Array.from(rows, (r) => pool.labels[r] as number), nRows: rows.length, nFeatures: d };
}

function meanAccuracy(models: readonly MlpWeights[], data: TrainingData): number {
  let total = 0;
  for (const w of models) {
    const { probabilities } = mlpForward(w, data.features, data.nRows);
    const c = w.architecture.numClasses;
    let correct = 0;
    for (let i = 0; i < data.nRows; i++) {
      let best = 0;
      for (let j = 1; j < c; j++)
        if ((probabilities[i * c + j] as number) > (probabilities[i * c + best] as number)) best = j;
      if (best === data.labels[i]) correct++;
    }
    total += correct / data.nRows;
  }
  return total / models.length;
}

const peakRssMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

async function benchDataset(name: string, ds: LabeledDataset, poolSize: number): Promise<void> {
  const order = new SeededRandom(1).permutation(ds.nRows);
  const pool = selectRows(ds, order.slice(0, poolSize));
  const heldOut = selectRows(ds, order.slice(poolSize, poolSize + 500));
  const arch: MlpArchitecture = {
    nFeatures: ds.nFeatures,
    hidden: [64],
    numClasses: Math.max(...ds.labels) + 1,
    activation: 'relu',
  };
  console.log(
    `\n${name}: pool ${pool.nRows} rows x ${pool.nFeatures} features, ${arch.numClasses} classes, hidden [64], ${EPOCHS} epochs, batch 64`,
  );
  console.log('   K | method      | wall s | models/min | s/model | held-out acc | peak RSS MB');
  for (const k of KS) {
    const inMask = referenceInMask('online', k, pool.nRows, pool.nRows, 7);
    const seeds = Array.from({ length: k }, (_, m) => 1000 + m);
    const row = (method: string, seconds: number, models: MlpWeights[]) =>
      console.log(
        `${String(k).padStart(4)} | ${method.padEnd(11)} | ${seconds.toFixed(1).padStart(6)} | ${((60 * k) / seconds).toFixed(1).padStart(10)} | ${(seconds / k).toFixed(2).padStart(7)} | ${meanAccuracy(models, heldOut).toFixed(3).padStart(12)} | ${peakRssMb().padStart(11)}`,
      );

    let started = process.hrtime.bigint();
    const sequential: MlpWeights[] = [];
    for (let m = 0; m < k; m++)
      sequential.push(await trainMlp(subset(pool, inMask, m), arch, { ...TRAINING, seed: seeds[m] as number }));
    row('sequential', Number(process.hrtime.bigint() - started) / 1e9, sequential);

    started = process.hrtime.bigint();
    const oneGraph = await trainMlpOnSubsets(pool, inMask, arch, { ...TRAINING, seeds });
    row(`1 graph`, Number(process.hrtime.bigint() - started) / 1e9, oneGraph);

    // What the reference-model provider does: fixed groups of MODELS_PER_GRAPH models per graph.
    started = process.hrtime.bigint();
    const grouped: MlpWeights[] = [];
    for (let start = 0; start < k; start += MODELS_PER_GRAPH) {
      const end = Math.min(k, start + MODELS_PER_GRAPH);
      const groupMask = inMask.slice(start * pool.nRows, end * pool.nRows);
      grouped.push(
        ...(await trainMlpOnSubsets(pool, groupMask, arch, { ...TRAINING, seeds: seeds.slice(start, end) })),
      );
    }
    row(`graphs of ${MODELS_PER_GRAPH}`, Number(process.hrtime.bigint() - started) / 1e9, grouped);
  }
}

async function main(): Promise<void> {
  const { tf, backend } = await initTensorflow();
  // Warm the backend (wasm compile, kernel set-up) so the first timed row is not charged for it.
  tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync());
  console.log(`tfjs backend: ${backend}; node ${process.version}`);
  const digits = await loadLabeledCsv(path.join(DATASETS, 'digits.csv'), { labelColumn: 'digit' });
  await benchDataset('digits', digits, 900);
  const satellite = await loadLabeledCsv(path.join(DATASETS, 'satellite.csv'), {
    labelColumn: 'classes',
    classes: SATELLITE_CLASSES,
  });
  await benchDataset('satellite', satellite, 3000);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
