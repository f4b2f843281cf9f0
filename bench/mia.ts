// Benchmark (not a test): membership inference end to end on an overfit MLP target, and what its reference
// models cost. LiRA (Carlini et al., S&P 2022) and RMIA (Zarifzadeh et al., ICML 2024) need K reference
// models; this prints their training cost "before" (in this thread, one model per graph), "grouped"
// (the provider's groups of models per graph, still in this thread) and "after" (the provider's defaults:
// those groups spread over worker threads), then the attacks' AUC and TPR at 0.1% and 1% FPR on the
// "after" models. Asserts nothing about time: the
// figures depend on the machine and on what else runs on it (load average printed).
// Run: npm run bench:mia [digits|satellite ...]   (builds dist/ first; onnxruntime trains the target and the
// reference models: the tfjs trainer is gone from the engine, bench:training still prints it)
import * as os from 'node:os';
import * as path from 'node:path';
import { benchDataDir } from './datasets';
import { loadLabeledCsv } from '../libs/engine/src/data/csv-dataset';
import { createMembershipAttack } from '../libs/engine/src/membership/attack-registry';
import { computeMembershipMetrics } from '../libs/engine/src/metrics/membership-metrics';
import { writeMlpOnnx } from '../libs/engine/src/onnx/mlp-onnx-writer';
import { SeededRandom, deriveSeed } from '../libs/engine/src/random/seeded-random';
import { OnnxTarget } from '../libs/engine/src/targets/onnx-target';
import { mlpForward } from '../libs/engine/src/training/mlp-forward';
import type { MlpArchitecture, MlpWeights } from '../libs/engine/src/training/mlp';
import { DEFAULT_MLP_TRAINER, trainMlp } from '../libs/engine/src/training/mlp-trainer';
import type { MlpTrainerKind } from '../libs/engine/src/training/mlp';
import { effectiveParallelism } from '../libs/engine/src/training/parallel-training';
import {
  createReferenceModelProvider,
  DEFAULT_REFERENCE_TRAINING,
  referenceGroupSize,
  type ReferenceModelProviderArgs,
} from '../libs/engine/src/training/reference-model-provider';
import type { AttackId, LabeledDataset, MembershipMetrics, ReferenceMode } from '../libs/engine/src/types';
import { selectRows } from '../libs/engine/src/data/select-rows';

const DATASETS = benchDataDir();
const SEED = 20240607;
const KS = [2, 8, 16];
const TRAINER_FLAG = process.argv.indexOf('--trainer');
const TRAINER: MlpTrainerKind =
  TRAINER_FLAG >= 0 ? (process.argv[TRAINER_FLAG + 1] as MlpTrainerKind) : DEFAULT_MLP_TRAINER;
const ATTACKS: readonly AttackId[] = [
  'membership.loss',
  'membership.lira',
  'membership.lira-offline',
  'membership.rmia',
  'membership.shadow',
];
const MODES: readonly ReferenceMode[] = ['online', 'offline'];

interface BenchDataset {
  readonly name: string;
  readonly file: string;
  readonly label: string;
  readonly classes?: readonly string[];
  readonly members: number;
  readonly nonMembers: number;
  /** Population rows; the rest of the file when undefined. */
  readonly population?: number;
  readonly targetEpochs: number;
}

const BENCHES: readonly BenchDataset[] = [
  { name: 'digits', file: 'digits.csv', label: 'digit', members: 400, nonMembers: 400, targetEpochs: 60 },
  {
    name: 'satellite',
    file: 'satellite.csv',
    label: 'classes',
    // Level order of the R factor (datasets README).
    classes: ['red soil', 'cotton crop', 'grey soil', 'damp grey soil', 'vegetation stubble', 'very damp grey soil'],
    members: 1000,
    nonMembers: 1000,
    population: 2000,
    targetEpochs: 80,
  },
];

function accuracy(weights: MlpWeights, ds: LabeledDataset): number {
  const { probabilities } = mlpForward(weights, ds.features, ds.nRows);
  const c = weights.architecture.numClasses;
  let correct = 0;
  for (let i = 0; i < ds.nRows; i++) {
    let best = 0;
    for (let j = 1; j < c; j++)
      if ((probabilities[i * c + j] as number) > (probabilities[i * c + best] as number)) best = j;
    if (best === ds.labels[i]) correct++;
  }
  return correct / ds.nRows;
}

const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;
// Worker threads live in this process, so its peak RSS covers them.
const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const pad = (s: string | number, n: number): string => String(s).padStart(n);

/** Wall time to train the online and the offline set of K models with the given provider settings. */
async function timeReferenceTraining(
  base: ReferenceModelProviderArgs,
  settings: Pick<ReferenceModelProviderArgs, 'parallelism' | 'modelsPerGraph'>,
): Promise<{ seconds: number; cpuSeconds: number; provider: ReturnType<typeof createReferenceModelProvider> }> {
  const provider = createReferenceModelProvider({ ...base, ...settings });
  const started = process.hrtime.bigint();
  // Process-wide, so worker threads count: CPU time shows the cost apart from how busy the machine is.
  const cpu = process.cpuUsage();
  for (const mode of MODES) await provider.obtain(mode);
  const used = process.cpuUsage(cpu);
  return { seconds: seconds(started), cpuSeconds: (used.user + used.system) / 1e6, provider };
}

async function benchDataset(bench: BenchDataset): Promise<void> {
  const all = await loadLabeledCsv(path.join(DATASETS, bench.file), {
    labelColumn: bench.label,
    ...(bench.classes ? { classes: [...bench.classes] } : {}),
  });
  const order = new SeededRandom(deriveSeed(SEED, 1)).permutation(all.nRows);
  const members = selectRows(all, order.slice(0, bench.members));
  const nonMembers = selectRows(all, order.slice(bench.members, bench.members + bench.nonMembers));
  const popEnd = bench.population === undefined ? all.nRows : bench.members + bench.nonMembers + bench.population;
  const population = selectRows(all, order.slice(bench.members + bench.nonMembers, popEnd));

  const numClasses = Math.max(...all.labels) + 1;
  const arch: MlpArchitecture = { nFeatures: all.nFeatures, hidden: [128], numClasses, activation: 'relu' };
  const started = process.hrtime.bigint();
  const weights = await trainMlp(members, arch, {
    epochs: bench.targetEpochs,
    batchSize: 32,
    learningRate: 2e-3,
    l2: 0,
    seed: deriveSeed(SEED, 2),
    trainer: TRAINER,
  });
  const modelBytes = writeMlpOnnx(weights);
  const target = await OnnxTarget.load(modelBytes);
  console.log(
    `\n== ${bench.name}: ${members.nRows} members, ${nonMembers.nRows} non-members, ${population.nRows} population; ` +
      `${all.nFeatures} features, ${numClasses} classes`,
  );
  console.log(
    `target MLP hidden [128], no L2, ${bench.targetEpochs} epochs (${seconds(started).toFixed(1)} s): ` +
      `train acc ${accuracy(weights, members).toFixed(3)}, non-member acc ${accuracy(weights, nonMembers).toFixed(3)}`,
  );
  const t = DEFAULT_REFERENCE_TRAINING;
  console.log(
    `reference models mirror the target (hidden [128]); ${t.epochs} epochs, batch ${t.batchSize}; ` +
      `each K trains an online and an offline set (2K models)`,
  );

  const memberOutputs = await target.predict(members.features, members.nRows);
  const nonMemberOutputs = await target.predict(nonMembers.features, nonMembers.nRows);
  const trainingRows: string[] = [];
  const attackRows: string[] = [];
  for (const k of KS) {
    const base: ReferenceModelProviderArgs = {
      modelBytes,
      population,
      members,
      nonMembers,
      k,
      seed: SEED,
      training: { trainer: TRAINER },
    };
    const groupSize = referenceGroupSize(k, arch);
    const threads = effectiveParallelism(Math.ceil(k / groupSize));
    // "grouped" separates the two changes: graphs of several models alone, then spread over threads.
    const configs: Array<[string, Pick<ReferenceModelProviderArgs, 'parallelism' | 'modelsPerGraph'>]> = [
      ['before: 1 model/graph, 1 thread', { parallelism: 1, modelsPerGraph: 1 }],
      [`grouped: ${groupSize}/graph, 1 thread`, { parallelism: 1 }],
      [`after: ${groupSize}/graph, ${threads} thread${threads > 1 ? 's' : ''}`, {}],
    ];
    let beforeSeconds = 0;
    let after: Awaited<ReturnType<typeof timeReferenceTraining>> | undefined;
    for (const [name, settings] of configs) {
      const run = await timeReferenceTraining(base, settings);
      beforeSeconds ||= run.seconds;
      after = run;
      trainingRows.push(
        `${pad(k, 3)} | ${name.padEnd(32)} | ${pad(run.seconds.toFixed(1), 6)} | ${pad(run.cpuSeconds.toFixed(1), 6)} | ` +
          `${pad(((60 * 2 * k) / run.seconds).toFixed(1), 10)} | ${pad(peakRssMb(), 6)} | ` +
          `${pad(`${(beforeSeconds / run.seconds).toFixed(2)}x`, 9)} | ${load()}`,
      );
    }

    const metrics: MembershipMetrics[] = [];
    const attacksStarted = process.hrtime.bigint();
    const attacksCpu = process.cpuUsage();
    for (const id of ATTACKS) {
      const scores = await createMembershipAttack(id).run({
        target,
        members,
        nonMembers,
        population,
        memberOutputs,
        nonMemberOutputs,
        seed: SEED,
        referenceModels: k,
        references: (after as NonNullable<typeof after>).provider,
      });
      metrics.push(computeMembershipMetrics(scores.members, scores.nonMembers, { attack: id }));
    }
    const attacksCpuUsed = process.cpuUsage(attacksCpu);
    attackRows.push(
      `${pad(k, 3)} | ` +
        metrics.map((m) => `${m.auc.toFixed(3)} ${m.tpr['0.001'].toFixed(3)} ${m.tpr['0.01'].toFixed(3)}`).join(' | ') +
        ` | ${seconds(attacksStarted).toFixed(2)} s wall, ${((attacksCpuUsed.user + attacksCpuUsed.system) / 1e6).toFixed(2)} s CPU`,
    );
  }
  await target.dispose();

  console.log(
    '\nreference training: online + offline sets (2K models); CPU s counts every thread; RSS MB is the peak so far',
  );
  console.log(
    '  K | configuration                    | wall s |  CPU s | models/min | RSS MB | wall gain | load avg (1/5/15 min)',
  );
  for (const row of trainingRows) console.log(row);
  console.log(
    '\nattacks on the "after" reference models: AUC TPR@0.1%FPR TPR@1%FPR; then the time of all five attacks (reference-model inference included, training not)',
  );
  console.log(`  K | ${ATTACKS.map((a) => a.replace('membership.', '').padEnd(17)).join(' | ')}`);
  for (const row of attackRows) console.log(row);
}

async function main(): Promise<void> {
  console.log(
    `trainer: ${TRAINER}; node ${process.version}; ${os.availableParallelism()} cores; load average ${load()}`,
  );
  const wanted = process.argv.slice(2).filter((a, i, all) => a !== '--trainer' && all[i - 1] !== '--trainer');
  for (const bench of BENCHES) if (wanted.length === 0 || wanted.includes(bench.name)) await benchDataset(bench);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
