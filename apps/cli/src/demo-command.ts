// `privaudit demo` (and `npm run demo`): the whole story on bundled data, offline, in well under a minute.
// A deliberately overfit MLP (wide hidden layer, no weight decay, trained to ~100% train accuracy) is the
// textbook case membership inference exploits (Yeom et al., CSF 2018: leakage tracks the generalisation
// gap), so the audit has something real to find. The audit itself is runAuditCommand, as `privaudit audit`.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadLabeledCsv } from '../../../libs/engine/src/data/csv-dataset';
import { IMPLEMENTED_ATTACKS } from '../../../libs/engine/src/membership/attack-registry';
import { writeMlpOnnx } from '../../../libs/engine/src/onnx/mlp-onnx-writer';
import { deriveSeed } from '../../../libs/engine/src/random/seeded-random';
import type { MlpArchitecture, MlpTrainingOptions } from '../../../libs/engine/src/training/mlp';
import { trainMlp } from '../../../libs/engine/src/training/mlp-trainer';
import type { AttackId } from '../../../libs/engine/src/types';
import { runAuditCommand, type AuditCommandOptions, type AuditCommandResult } from './audit-command';
import { equivalentCommand } from './audit-command-line';
import type { CliIo } from './cli-io';
import { InputError, InterruptedError } from './cli-errors';
import { createProgressReporter, progressStyleFor } from './progress-reporter';
import { selectRows } from '../../../libs/engine/src/data/select-rows';
import { DEMO_MEMBERS, splitDemoRows, writeSplitCsv } from './demo-split';
import { predictedLabelAccuracy } from './onnx-accuracy';
import { privauditPackage } from './package-root';

export const DEFAULT_DEMO_WORKDIR = '.demo';
const LABEL_COLUMN = 'digit';
const ID_COLUMN = 'id';
const TRAINING_SALT = 2;
/** Reference models for the attacks that need them: enough for RMIA's strength, cheap enough for a demo. */
const DEMO_REFERENCE_MODELS = 8;
/** Shown in this order when the engine implements them. */
const DEMO_ATTACKS: readonly AttackId[] = [
  'membership.loss',
  'membership.confidence',
  'membership.rmia',
  'membership.lira-offline',
  'membership.lira',
];

export const DEMO_TARGET_EPOCHS = 60;

export interface DemoCommandOptions {
  readonly workdir: string;
  readonly seed: number;
  readonly quiet?: boolean;
}

export async function runDemoCommand(
  opts: DemoCommandOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<AuditCommandResult> {
  const started = Date.now();
  const digitsPath = path.join(privauditPackage().root, 'data', 'digits.csv');
  await fs.access(digitsPath).catch(() => {
    throw new InputError(`demo data not found at ${digitsPath}; the repository ships it as data/digits.csv`);
  });
  const workdir = path.resolve(io.cwd, opts.workdir);
  const shown = (file: string): string => path.join(opts.workdir, file);

  // 1. Split.
  const digits = await loadLabeledCsv(digitsPath, { labelColumn: LABEL_COLUMN, fileLabel: 'data/digits.csv' });
  const split = splitDemoRows(digits.nRows, opts.seed);
  await writeSplitCsv(path.join(workdir, 'members.csv'), digits, split.members, LABEL_COLUMN, ID_COLUMN);
  await writeSplitCsv(path.join(workdir, 'nonmembers.csv'), digits, split.nonMembers, LABEL_COLUMN, ID_COLUMN);
  await writeSplitCsv(path.join(workdir, 'population.csv'), digits, split.population, LABEL_COLUMN, ID_COLUMN);
  io.out(
    `privaudit demo: ${digits.nRows} handwritten digits (data/digits.csv, 8x8 pixels, 10 classes), split with seed ${opts.seed} into\n` +
      `  ${split.members.length} members -> ${shown('members.csv')}\n` +
      `  ${split.nonMembers.length} non-members -> ${shown('nonmembers.csv')}\n` +
      `  ${split.population.length} population -> ${shown('population.csv')}\n\n`,
  );

  // 2. Train the target on the members only, overfitting on purpose.
  const architecture: MlpArchitecture = {
    nFeatures: digits.nFeatures,
    hidden: [128],
    numClasses: 10,
    activation: 'relu',
  };
  const trainingProgress = createProgressReporter(io, progressStyleFor(io, opts.quiet === true));
  const training: MlpTrainingOptions = {
    epochs: DEMO_TARGET_EPOCHS,
    batchSize: 32,
    learningRate: 0.01,
    l2: 0,
    seed: deriveSeed(opts.seed, TRAINING_SALT),
    standardize: true,
    onEpoch: (epoch) => {
      const done = epoch + 1;
      if (done % 10 === 0)
        trainingProgress.onProgress({
          phase: 'train-target',
          fraction: done / DEMO_TARGET_EPOCHS,
          message: `epoch ${done}/${DEMO_TARGET_EPOCHS}`,
        });
    },
  };
  io.out(
    `Training the target: MLP ${architecture.nFeatures}-${architecture.hidden.join('-')}-${architecture.numClasses} (relu), ` +
      `no weight decay, ${training.epochs} epochs on the ${DEMO_MEMBERS} members: deliberately overfit.\n`,
  );
  const trainStarted = Date.now();
  let weights;
  try {
    weights = await trainMlp(selectRows(digits, split.members), architecture, training);
  } finally {
    trainingProgress.stop();
  }
  if (signal?.aborted) throw new InterruptedError('demo interrupted');
  const model = writeMlpOnnx(weights, { style: 'gemm', output: 'softmax' });
  const modelPath = path.join(workdir, 'target.onnx');
  await fs.writeFile(modelPath, model);

  const trainAccuracy = await predictedLabelAccuracy(model, selectRows(digits, split.members));
  const heldOutAccuracy = await predictedLabelAccuracy(model, selectRows(digits, split.nonMembers));
  io.out(
    `  trained in ${((Date.now() - trainStarted) / 1000).toFixed(1)} s -> ${shown('target.onnx')}\n` +
      `  accuracy on members (train): ${formatPercent(trainAccuracy)}   on non-members (held out): ${formatPercent(heldOutAccuracy)}\n` +
      `  the gap between the two is what membership inference feeds on.\n\n`,
  );

  // 3. Audit it exactly as a user would.
  const attacks = DEMO_ATTACKS.filter((a) => IMPLEMENTED_ATTACKS.includes(a));
  const audit: AuditCommandOptions = {
    model: shown('target.onnx'),
    members: shown('members.csv'),
    nonMembers: shown('nonmembers.csv'),
    population: shown('population.csv'),
    label: LABEL_COLUMN,
    idColumn: ID_COLUMN,
    attacks,
    referenceModels: DEMO_REFERENCE_MODELS,
    // Reference models are trained the way the target was (what an auditor who knows the recipe does).
    referenceEpochs: training.epochs,
    referenceLearningRate: training.learningRate,
    referenceBatchSize: training.batchSize,
    seed: opts.seed,
    out: shown('report.json'),
    // The document a privacy officer would be handed, beside the JSON.
    pdf: shown('report.pdf'),
    quiet: opts.quiet,
  };
  io.out(`Auditing it; the same audit from the command line:\n  npx ${equivalentCommand(audit)}\n\n`);
  const result = await runAuditCommand(audit, io, signal);
  io.out(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  return result;
}

function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
