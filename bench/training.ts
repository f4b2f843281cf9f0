// Benchmark (not a test): the MLP trainers side by side (issue 10) — the old tfjs trainer (bench/legacy/, no
// longer in the engine), the onnxruntime trainer (training/onnx-trainer/) and PyTorch-CPU (bench/pytorch_training.py,
// when /usr/bin/python3 has torch) — on the two shapes: 16-256-128-26 on 10,000 rows of letter.csv and
// 784-256-128-10 on 10,000 synthetic 784-wide rows (no Fashion-MNIST ships in data/), 10 epochs, batch 64,
// Adam, one thread each. Also: 8 narrow models stacked in one graph, the onnxruntime trainer on both cores (two
// processes) against one, and reference-model inference (plain JS against onnxruntime). Each measurement runs
// in its own child process, so its peak RSS is its own. Prints time per model (wall and CPU), models per minute,
// final training loss and accuracy, peak RSS; asserts nothing. Ratios are taken on CPU time: every trainer is
// one thread, and on a shared machine wall time mostly measures the other processes.
// Run: npm run bench:training [-- --epochs 10 --rows 10000 --repeat 3 --skip-tfjs]
//
// Figures of 2026-11-26 (load average 12-22 from other sessions; PyTorch 1.13 Debian with OpenBLAS-OpenMP;
// 3 alternating rounds), CPU seconds per model:
//   16-256-128-26:  PyTorch 1.22 | onnxruntime 0.63 (0.50x; rounds 0.50 0.53 0.50) | tfjs 12.64 (9.0x, an
//                   earlier run at the same load); 8 stacked: 0.55x all rows each, 0.43x halves
//   784-256-128-10: PyTorch 2.85 | onnxruntime 2.43 (0.85x; rounds 0.86 0.80 0.87); tfjs 46 s wall (19x) at
//                   load 1.3-2.5. Peak RSS MB: PyTorch 261 / 323, onnxruntime 142 / 190, tfjs 161 / 300.
//   two processes against one: 0.95x wall at load 12-17 (no idle core), CPU-time bound 1.87x; 2.04x wall at
//   load 1.3-2.5 in an earlier run.
//   inference, 16 models 16-128-26 x 20,000 rows: plain JS 2.99 CPU s, onnxruntime 0.42 (7.2x less).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchDataDir } from './datasets';
import { loadLabeledCsv } from '../libs/engine/src/data/csv-dataset';
import { SeededRandom } from '../libs/engine/src/random/seeded-random';
import type { MlpArchitecture, MlpWeights, TrainingData } from '../libs/engine/src/training/mlp';
import { mlpForward } from '../libs/engine/src/training/mlp-forward';
import { trainMlpOnSubsetsTfjs } from './legacy/tfjs-mlp-trainer';
import { trainMlpOnSubsetsOnnx } from '../libs/engine/src/training/onnx-trainer/onnx-mlp-trainer';
import { referenceInMask } from '../libs/engine/src/training/reference-model-provider';
import { glorotInit } from '../libs/engine/src/training/mlp-training-setup';
import { StackedMlpInference } from '../libs/engine/src/training/onnx-trainer/onnx-mlp-inference';
import { initTensorflow } from './legacy/tf-backend';

type Shape = 'narrow' | 'wide';
type Trainer = 'tfjs' | 'onnx';

interface Job {
  readonly trainer: Trainer;
  readonly shape: Shape;
  /** Models stacked in one graph. */
  readonly k: number;
  /** 'all': every model trains on every row (the same work per model as one model alone); 'half': random halves, as online LiRA. */
  readonly rowsPerModel: 'all' | 'half';
  /** Graphs trained one after the other in the process. */
  readonly graphs: number;
  readonly epochs: number;
  readonly rows: number;
}

interface JobResult {
  readonly seconds: number;
  /** CPU time of the training (user + system, every thread): what to compare on a shared machine. */
  readonly cpuSeconds: number;
  readonly models: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly peakRssMb: number;
}

const LETTERS = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i));
const HIDDEN = [256, 128];
const TRAINING = { batchSize: 64, learningRate: 1e-3 };
const PYTHON = '/usr/bin/python3';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function loadShape(shape: Shape, rows: number): Promise<{ data: TrainingData; arch: MlpArchitecture }> {
  if (shape === 'narrow') {
    const letter = await loadLabeledCsv(path.join(benchDataDir(), 'letter.csv'), {
      labelColumn: 'lettr',
      classes: LETTERS,
    });
    const d = letter.nFeatures;
    const data = {
      nRows: rows,
      nFeatures: d,
      features: letter.features.slice(0, rows * d),
      labels: Int32Array.from(letter.labels.slice(0, rows)),
    };
    return { data, arch: { nFeatures: d, hidden: HIDDEN, numClasses: 26, activation: 'relu' } };
  }
  // 784 pixel-like values in [0, 1]: a class prototype blurred by noise, 10 classes.
  const d = 784;
  const c = 10;
  const rng = new SeededRandom(784);
  const prototypes = Float32Array.from({ length: c * d }, () => rng.next());
  const features = new Float32Array(rows * d);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const label = rng.int(c);
    labels[i] = label;
    for (let j = 0; j < d; j++) {
      const v = 0.15 * (prototypes[label * d + j] as number) + 0.85 * rng.next();
      features[i * d + j] = Math.round(v * 255) / 255;
    }
  }
  return {
    data: { nRows: rows, nFeatures: d, features, labels },
    arch: { nFeatures: d, hidden: HIDDEN, numClasses: c, activation: 'relu' },
  };
}

function accuracy(w: MlpWeights, data: TrainingData): number {
  const { probabilities } = mlpForward(w, data.features, data.nRows);
  const c = w.architecture.numClasses;
  let correct = 0;
  for (let i = 0; i < data.nRows; i++) {
    let best = 0;
    for (let j = 1; j < c; j++)
      if ((probabilities[i * c + j] as number) > (probabilities[i * c + best] as number)) best = j;
    if (best === data.labels[i]) correct++;
  }
  return correct / data.nRows;
}

/** Child process: train `graphs` graphs of k models and print one JSON line. */
async function runJob(job: Job): Promise<void> {
  const { data, arch } = await loadShape(job.shape, job.rows);
  if (job.trainer === 'tfjs') {
    const { tf } = await initTensorflow();
    tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync()); // wasm compile is not training
  }
  const inMask =
    job.rowsPerModel === 'all'
      ? new Uint8Array(job.k * data.nRows).fill(1)
      : referenceInMask('online', job.k, data.nRows, data.nRows, 7);
  const train = job.trainer === 'tfjs' ? trainMlpOnSubsetsTfjs : trainMlpOnSubsetsOnnx;
  let loss = 0;
  const models: MlpWeights[] = [];
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let g = 0; g < job.graphs; g++) {
    const seeds = Array.from({ length: job.k }, (_, m) => 1000 + g * job.k + m);
    models.push(
      ...(await train(data, inMask, arch, {
        ...TRAINING,
        epochs: job.epochs,
        seeds,
        onEpoch: (_: number, l: number) => (loss = l),
      })),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const result: JobResult = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    models: models.length,
    loss,
    accuracy: accuracy(models[0] as MlpWeights, data),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function spawnJob(job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--job', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`job ${JSON.stringify(job)} failed (exit ${code})`));
      else resolve(JSON.parse(line) as JobResult);
    });
  });
}

function torchAvailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

async function runPytorch(shape: Shape, rows: number, epochs: number, dir: string): Promise<JobResult> {
  const { data, arch } = await loadShape(shape, rows);
  const featuresFile = path.join(dir, `${shape}.f32`);
  const labelsFile = path.join(dir, `${shape}.i32`);
  writeFileSync(featuresFile, data.features);
  writeFileSync(labelsFile, data.labels);
  const script = path.resolve(
    __dirname,
    __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../bench' : '.',
    'pytorch_training.py',
  );
  const run = spawnSync(
    PYTHON,
    [
      script,
      featuresFile,
      labelsFile,
      String(rows),
      String(arch.nFeatures),
      arch.hidden.join(','),
      String(arch.numClasses),
      String(epochs),
      String(TRAINING.batchSize),
      String(TRAINING.learningRate),
    ],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } },
  );
  if (run.status !== 0) throw new Error(`pytorch_training.py failed: ${run.stderr.trim().split('\n').pop() ?? ''}`);
  const r = JSON.parse(run.stdout.trim().split('\n').pop() as string) as Omit<JobResult, 'models'>;
  return { ...r, models: 1 };
}

function row(label: string, r: JobResult, versus?: JobResult): void {
  const perModel = r.seconds / r.models;
  const cpuPerModel = r.cpuSeconds / r.models;
  const ratio = (mine: number, theirs: number) => `${(mine / theirs).toFixed(2)}x`;
  const vs = versus
    ? `${ratio(cpuPerModel, versus.cpuSeconds / versus.models)} / ${ratio(perModel, versus.seconds / versus.models)}`
    : '';
  console.log(
    `${label.padEnd(44)} | ${perModel.toFixed(2).padStart(7)} | ${cpuPerModel.toFixed(2).padStart(9)} | ${((60 * r.models) / r.seconds).toFixed(1).padStart(10)} | ${vs.padStart(13)} | ${r.loss.toFixed(4).padStart(9)} | ${r.accuracy.toFixed(4).padStart(9)} | ${r.peakRssMb.toFixed(0).padStart(11)}`,
  );
}

const HEADER =
  'trainer                                      | s/model | CPU s/mdl | models/min | vs PyTorch    | last loss | train acc | peak RSS MB\n' +
  '                                             |  (wall) |           |            | (CPU / wall)  |           |           |';

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Child process: reference-model inference, plain JS against onnxruntime, on K models and `rows` rows. */
async function runInference(job: { readonly k: number; readonly rows: number }): Promise<void> {
  // LiRA's shape on letter: 16 features, hidden [128] (the target mirrored), 26 classes.
  const { data } = await loadShape('narrow', Math.min(job.rows, 20_000));
  const arch: MlpArchitecture = { nFeatures: data.nFeatures, hidden: [128], numClasses: 26, activation: 'relu' };
  const widths = [arch.nFeatures, ...arch.hidden, arch.numClasses];
  const models: MlpWeights[] = Array.from({ length: job.k }, (_, m) => ({
    architecture: arch,
    layers: glorotInit(widths, 500 + m).map((l, i) => ({
      ...l,
      inputs: widths[i] as number,
      outputs: widths[i + 1] as number,
    })),
  }));
  const time = async (run: () => Promise<unknown>) => {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await run();
    const used = process.cpuUsage(cpu);
    return { seconds: Number(process.hrtime.bigint() - wall) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
  };
  const n = data.nRows;
  const js = await time(async () => {
    for (const w of models) mlpForward(w, data.features, n);
  });
  const perModel = await time(async () => {
    for (const w of models) {
      const session = await StackedMlpInference.create([w]);
      await session.predictAll(data.features, n);
      await session.release();
    }
  });
  const stacked = await time(async () => {
    const session = await StackedMlpInference.create(models);
    await session.predictAll(data.features, n);
    await session.release();
  });
  process.stdout.write(
    `${JSON.stringify({ js, perModel, stacked, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

function spawnChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${args.join(' ')} failed (exit ${code})`));
      else resolve(line);
    });
  });
}

async function main(): Promise<void> {
  const epochs = option('epochs', 10);
  const rows = option('rows', 10_000);
  const skipTfjs = process.argv.includes('--skip-tfjs');
  const repeat = option('repeat', 3);
  const torch = torchAvailable();
  console.log(
    `node ${process.version}, ${os.cpus().length} cores (load average ${load()}); ${rows} rows, ${epochs} epochs, batch 64, Adam lr 1e-3, one thread per trainer`,
  );
  console.log(
    torch
      ? `PyTorch ${torch} (${PYTHON}, torch.set_num_threads(1))`
      : `PyTorch: skipped (${PYTHON} cannot import torch; on Debian: apt-get install -y python3-torch libopenblas0-openmp)`,
  );
  console.log(
    'Ratios: CPU time (user + system; each trainer is one thread, so this is what a shared machine perturbs least) / wall time.',
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'privaudit-bench-training-'));
  try {
    for (const shape of ['narrow', 'wide'] as const) {
      console.log(
        `\n${shape === 'narrow' ? '16-256-128-26 on letter.csv' : '784-256-128-10 on synthetic 784-wide rows'}, one model`,
      );
      console.log(HEADER);
      // PyTorch and onnxruntime alternate `repeat` rounds (torch, ort, torch, ort, ...) and each keeps its
      // fastest round; the per-round ratios are printed too. The cores are shared: a burst of someone else's
      // work should not decide a ratio. tfjs, 15-20x slower, runs once.
      let pytorch: JobResult | undefined;
      let onnx: JobResult | undefined;
      const roundRatios: number[] = [];
      const fastest = (a: JobResult | undefined, b: JobResult) => (a && a.cpuSeconds <= b.cpuSeconds ? a : b);
      for (let r = 0; r < repeat; r++) {
        const t = torch ? await runPytorch(shape, rows, epochs, dir) : undefined;
        const o = await spawnJob({ trainer: 'onnx', shape, k: 1, rowsPerModel: 'all', graphs: 1, epochs, rows });
        if (t) {
          pytorch = fastest(pytorch, t);
          roundRatios.push(o.cpuSeconds / t.cpuSeconds);
        }
        onnx = fastest(onnx, o);
      }
      if (pytorch) row(`PyTorch-CPU, 1 thread (best of ${repeat})`, pytorch);
      if (!skipTfjs)
        row(
          'old: tfjs-wasm (bench/legacy)',
          await spawnJob({ trainer: 'tfjs', shape, k: 1, rowsPerModel: 'all', graphs: 1, epochs, rows }),
          pytorch,
        );
      row(`new: onnxruntime (best of ${repeat})`, onnx as JobResult, pytorch);
      if (roundRatios.length > 0) {
        console.log(
          `onnxruntime / PyTorch CPU time, round by round: ${roundRatios.map((x) => x.toFixed(2)).join(', ')} (median ${median(roundRatios).toFixed(2)}x); load average ${load()}`,
        );
      }
      if (shape === 'narrow') {
        const stacked = { shape, k: 8, rowsPerModel: 'all', graphs: 1, epochs, rows } as const;
        const halves = { ...stacked, rowsPerModel: 'half' } as const;
        if (!skipTfjs)
          row('old: tfjs, 8 stacked, all rows each', await spawnJob({ trainer: 'tfjs', ...stacked }), pytorch);
        row('new: onnxruntime, 8 stacked, all rows each', await spawnJob({ trainer: 'onnx', ...stacked }), pytorch);
        row('new: onnxruntime, 8 stacked, half the rows', await spawnJob({ trainer: 'onnx', ...halves }), pytorch);
      }
    }

    console.log(
      '\nonnxruntime on both cores: 16-256-128-26, two processes of 2 models each against one process of 2 models',
    );
    console.log(HEADER);
    const job = { trainer: 'onnx', shape: 'narrow', k: 1, rowsPerModel: 'all', graphs: 2, epochs, rows } as const;
    let one: JobResult | undefined;
    let combined: JobResult | undefined;
    const gains: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const single = await spawnJob(job);
      const both = await Promise.all([spawnJob(job), spawnJob(job)]);
      // The two trained at the same time; the slower one's training time is the pair's (start-up and data
      // loading excluded, as for every row).
      const pair: JobResult = {
        seconds: Math.max(...both.map((b) => b.seconds)),
        cpuSeconds: both.reduce((sum, b) => sum + b.cpuSeconds, 0),
        models: both.reduce((sum, b) => sum + b.models, 0),
        loss: (both[0] as JobResult).loss,
        accuracy: (both[0] as JobResult).accuracy,
        peakRssMb: Math.max(...both.map((b) => b.peakRssMb)),
      };
      gains.push(pair.models / pair.seconds / (single.models / single.seconds));
      one = one && one.seconds <= single.seconds ? one : single;
      combined = combined && combined.seconds <= pair.seconds ? combined : pair;
    }
    if (one && combined) {
      row(`1 process (best of ${repeat})`, one);
      row(`2 processes at once (best of ${repeat})`, combined);
      console.log(
        `throughput on 2 cores / 1 core: ${(combined.models / combined.seconds / (one.models / one.seconds)).toFixed(2)}x best of each; round by round ${gains.map((g) => g.toFixed(2)).join(', ')}; load average ${load()} (other processes share these cores: figures under load are pessimistic)`,
      );
      // Under load there is no idle second core to measure wall-clock throughput on; what two processes cost
      // each other (shared caches, memory bandwidth) shows in their CPU time per model against one alone.
      console.log(
        `CPU-time bound: with both cores free, 2 x (CPU s/model alone) / (CPU s/model of the pair) = ${((2 * one.cpuSeconds) / one.models / (combined.cpuSeconds / combined.models)).toFixed(2)}x`,
      );
    }

    const k = 16;
    const inferenceRows = 20_000;
    console.log(
      `\nreference-model inference (what LiRA / RMIA spend per audit): ${k} models 16-128-26 on ${inferenceRows} rows of letter.csv, logits and probabilities`,
    );
    console.log('implementation                               | wall s | CPU s | rows x models / s | peak RSS MB');
    const inf = JSON.parse(await spawnChild(['--inference', JSON.stringify({ k, rows: inferenceRows })])) as {
      js: { seconds: number; cpuSeconds: number };
      perModel: { seconds: number; cpuSeconds: number };
      stacked: { seconds: number; cpuSeconds: number };
      peakRssMb: number;
    };
    for (const [label, r] of [
      ['old: plain JS (mlp-forward.ts), double', inf.js],
      ['new: onnxruntime, one session per model', inf.perModel],
      [`onnxruntime, ${k} models stacked in one graph`, inf.stacked],
    ] as const) {
      console.log(
        `${label.padEnd(44)} | ${r.seconds.toFixed(2).padStart(6)} | ${r.cpuSeconds.toFixed(2).padStart(5)} | ${((k * inferenceRows) / r.seconds).toExponential(2).padStart(17)} | ${inf.peakRssMb.toFixed(0).padStart(11)}`,
      );
    }
    console.log(
      `onnxruntime per model is ${(inf.js.cpuSeconds / inf.perModel.cpuSeconds).toFixed(1)}x faster than plain JS (CPU time); load average ${load()}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const jobIndex = process.argv.indexOf('--job');
const inferenceIndex = process.argv.indexOf('--inference');
(jobIndex >= 0
  ? runJob(JSON.parse(process.argv[jobIndex + 1] as string) as Job)
  : inferenceIndex >= 0
    ? runInference(JSON.parse(process.argv[inferenceIndex + 1] as string) as { k: number; rows: number })
    : main()
).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
