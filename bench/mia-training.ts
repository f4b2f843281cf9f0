// Benchmark (not a test): the cost of the K reference models that LiRA (Carlini et al., S&P 2022) and
// RMIA (Zarifzadeh et al., ICML 2024) need on the onnxruntime trainer: K = 16 models trained in graphs of
// 1, 2, 4 or 8 models, for hidden widths 64, 128 and 256, in this thread. The figures MODELS_PER_GRAPH and
// MAX_GROUPED_MACS_PER_ROW (training/reference-model-provider.ts) were set from. Prints wall and CPU time
// (CPU time is what to compare on a shared machine: one thread each), models per minute, held-out accuracy
// and peak RSS; asserts nothing about time.
// Run: npm run build && node dist/bench/mia-training.js [epochs]
import * as os from 'node:os';
import * as path from 'node:path';
import { benchDataDir } from './datasets';
import { loadLabeledCsv } from '../libs/engine/src/data/csv-dataset';
import { SeededRandom } from '../libs/engine/src/random/seeded-random';
import type { LabeledDataset } from '../libs/engine/src/types';
import type { MlpArchitecture, MlpWeights, TrainingData } from '../libs/engine/src/training/mlp';
import { mlpForward } from '../libs/engine/src/training/mlp-forward';
import { trainMlp, trainMlpOnSubsets } from '../libs/engine/src/training/mlp-trainer';
import {
  MODELS_PER_GRAPH,
  referenceGroupSize,
  referenceInMask,
} from '../libs/engine/src/training/reference-model-provider';
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
const K = 16;
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

const GROUP_SIZES = [1, 2, 4, 8];
const HIDDENS: ReadonlyArray<readonly number[]> = [[64], [128], [256]];

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

async function benchDataset(name: string, ds: LabeledDataset, poolSize: number): Promise<void> {
  const order = new SeededRandom(1).permutation(ds.nRows);
  const pool = selectRows(ds, order.slice(0, poolSize));
  const heldOut = selectRows(ds, order.slice(poolSize, poolSize + 500));
  const k = K;
  const inMask = referenceInMask('online', k, pool.nRows, pool.nRows, 7);
  const seeds = Array.from({ length: k }, (_, m) => 1000 + m);
  for (const hidden of HIDDENS) {
    const arch: MlpArchitecture = {
      nFeatures: ds.nFeatures,
      hidden,
      numClasses: Math.max(...ds.labels) + 1,
      activation: 'relu',
    };
    const widths = [arch.nFeatures, ...hidden, arch.numClasses];
    let macs = 0;
    for (let l = 0; l + 1 < widths.length; l++) macs += (widths[l] as number) * (widths[l + 1] as number);
    console.log(
      `\n${name}: pool ${pool.nRows} rows x ${pool.nFeatures} features, ${arch.numClasses} classes, hidden [${hidden.join(', ')}] (${macs} MACs/row), K = ${k} on random halves, ${EPOCHS} epochs, batch 64; this thread only`,
    );
    console.log('method         | wall s | CPU s | CPU s/model | models/min | held-out acc | peak RSS MB');
    const row = (method: string, wall: number, cpu: number, models: MlpWeights[]) =>
      console.log(
        `${method.padEnd(14)} | ${wall.toFixed(1).padStart(6)} | ${cpu.toFixed(1).padStart(5)} | ${(cpu / k).toFixed(3).padStart(11)} | ${((60 * k) / wall).toFixed(1).padStart(10)} | ${meanAccuracy(models, heldOut).toFixed(3).padStart(12)} | ${peakRssMb().padStart(11)}`,
      );
    if (hidden === HIDDENS[0]) {
      // One model per call on its own rows (no pool, no mask): what a caller without the provider would do.
      const wall0 = process.hrtime.bigint();
      const cpu0 = cpuSeconds();
      const sequential: MlpWeights[] = [];
      for (let m = 0; m < k; m++)
        sequential.push(await trainMlp(subset(pool, inMask, m), arch, { ...TRAINING, seed: seeds[m] as number }));
      row('one by one', Number(process.hrtime.bigint() - wall0) / 1e9, cpuSeconds() - cpu0, sequential);
    }
    // What the reference-model provider does: fixed groups of G models per graph on the shared pool.
    for (const g of GROUP_SIZES) {
      const wall0 = process.hrtime.bigint();
      const cpu0 = cpuSeconds();
      const grouped: MlpWeights[] = [];
      for (let start = 0; start < k; start += g) {
        const end = Math.min(k, start + g);
        const groupMask = inMask.slice(start * pool.nRows, end * pool.nRows);
        grouped.push(
          ...(await trainMlpOnSubsets(pool, groupMask, arch, { ...TRAINING, seeds: seeds.slice(start, end) })),
        );
      }
      const marks = [
        g === MODELS_PER_GRAPH ? 'MODELS_PER_GRAPH' : '',
        g === referenceGroupSize(k, arch) ? 'provider' : '',
      ]
        .filter(Boolean)
        .join(', ');
      row(
        `graphs of ${g}${marks ? ' *' : ''}`,
        Number(process.hrtime.bigint() - wall0) / 1e9,
        cpuSeconds() - cpu0,
        grouped,
      );
    }
    console.log(`(* the provider's choice for this architecture: ${referenceGroupSize(k, arch)} per graph)`);
  }
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const digits = await loadLabeledCsv(path.join(DATASETS, 'digits.csv'), { labelColumn: 'digit' });
  await benchDataset('digits', digits, 900);
  const satellite = await loadLabeledCsv(path.join(DATASETS, 'satellite.csv'), {
    labelColumn: 'classes',
    classes: SATELLITE_CLASSES,
  });
  await benchDataset('satellite', satellite, 3000);
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
