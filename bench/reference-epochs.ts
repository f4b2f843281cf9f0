// Benchmark (not a test): reference epochs 'auto' against references trained with the target's true recipe, on
// real tables. LiRA (Carlini et al., S&P 2022) and RMIA (Zarifzadeh et al., ICML 2024) compare the target with
// reference models, which must fit their training rows as the target fits its own. An auditor rarely knows the
// target's recipe; 'auto' trains each reference model until it fits its IN rows as tightly as the target fits
// the members (training/target-fit.ts). For each table this trains an overfit target with a recipe unlike the
// reference defaults, then audits it through runAudit three times, with the same data, seeds and K:
//   true   - references trained with the target's own epochs, batch size and learning rate;
//   auto   - the default: epochs 'auto', default batch size and learning rate;
//   fixed  - the previous default: 40 epochs, default batch size and learning rate.
// It prints AUC, TPR at 0.1% and 1% FPR per attack and configuration, and the ratio auto / true of TPR at 1% FPR.
// Asserts nothing.
// Measured on the 2-core development machine (seed 11, K = 8), TPR at 1% FPR auto / true recipe, per attack
// LiRA / LiRA offline / RMIA, with the onnxruntime trainer (the default): digits 0.98 / 1.00 / 0.93, satellite
// 1.20 / 1.14 / 1.06, letter 0.86 / 1.06 / 1.01 (some online references reached the 300-epoch cap: mean loss
// 2.0e-4 against the target's 1.3e-4), breast_cancer (150 per side: 1-2 false positives at 1%, coarse) 1.00 /
// n.a. / 1.00. With the tfjs trainer: digits 0.98 / 1.00 / 0.93, satellite 0.93 / 0.85 / 1.08, letter 1.10 /
// 1.19 / 0.97. The old fixed 40 epochs reached 0.66-0.79 of the true recipe's online LiRA TPR on digits,
// satellite and letter.
// Run: npm run bench:reference-epochs [digits|satellite|letter|breast_cancer ...]   (builds dist/ first)
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { benchDataDir } from './datasets';
import { runAudit, type AuditRequest, type CsvInput } from '../libs/engine/src/audit/run-audit';
import { loadLabeledCsv } from '../libs/engine/src/data/csv-dataset';
import { writeMlpOnnx } from '../libs/engine/src/onnx/mlp-onnx-writer';
import { SeededRandom } from '../libs/engine/src/random/seeded-random';
import type { MlpArchitecture, MlpTrainingOptions } from '../libs/engine/src/training/mlp';
import { trainMlp } from '../libs/engine/src/training/mlp-trainer';
import type { AttackId, AuditReport } from '../libs/engine/src/types';
import { membershipFindings } from '../libs/engine/src/report/findings';

const SEED = 11;
const K = 8;
const ATTACKS: AttackId[] = ['membership.lira', 'membership.lira-offline', 'membership.rmia'];

interface Table {
  readonly name: string;
  readonly file: string;
  readonly label: string;
  readonly classes?: readonly string[];
  readonly members: number;
  /** Population rows; the rest of the file (capped) when undefined. */
  readonly population: number;
  readonly hidden: readonly number[];
  /** The target's true recipe: deliberately unlike the reference defaults (40 epochs, batch 64, lr 0.002). */
  readonly recipe: Omit<MlpTrainingOptions, 'seed'>;
}

const LETTERS = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i));
const SATELLITE_CLASSES = [
  'red soil',
  'cotton crop',
  'grey soil',
  'damp grey soil',
  'vegetation stubble',
  'very damp grey soil',
];

const TABLES: readonly Table[] = [
  {
    name: 'digits',
    file: 'digits.csv',
    label: 'digit',
    members: 400,
    population: 997,
    hidden: [128],
    recipe: { epochs: 150, batchSize: 32, learningRate: 1e-3, l2: 0 },
  },
  {
    name: 'satellite',
    file: 'satellite.csv',
    label: 'classes',
    classes: SATELLITE_CLASSES,
    members: 1000,
    population: 2000,
    hidden: [128, 64],
    recipe: { epochs: 200, batchSize: 32, learningRate: 1e-3, l2: 0 },
  },
  {
    name: 'letter',
    file: 'letter.csv',
    label: 'lettr',
    classes: LETTERS,
    members: 1500,
    population: 3000,
    hidden: [128, 64],
    recipe: { epochs: 200, batchSize: 32, learningRate: 2e-3, l2: 0 },
  },
  {
    name: 'breast_cancer',
    file: 'breast_cancer.csv',
    label: 'diagnosis',
    members: 150,
    population: 269,
    hidden: [64],
    recipe: { epochs: 300, batchSize: 16, learningRate: 1e-3, l2: 0 },
  },
];

/** The table's rows with an `id` column, split by a seeded permutation. */
function splitTable(table: Table): { members: CsvInput; nonMembers: CsvInput; population: CsvInput } {
  const [header, ...rows] = readFileSync(path.join(benchDataDir(), table.file), 'utf8').trimEnd().split('\n');
  const order = new SeededRandom(SEED).permutation(rows.length);
  const part = (name: string, from: number, to: number): CsvInput => ({
    name,
    data: Buffer.from(
      [`id,${header}`, ...order.slice(from, to).map((r) => `${table.name}-${r + 1},${rows[r]}`)].join('\n') + '\n',
    ),
  });
  const m = table.members;
  return {
    members: part('members.csv', 0, m),
    nonMembers: part('nonmembers.csv', m, 2 * m),
    population: part('population.csv', 2 * m, Math.min(rows.length, 2 * m + table.population)),
  };
}

function row(config: string, report: AuditReport, seconds: number): string[] {
  return membershipFindings(report.findings).map((f) =>
    [
      config.padEnd(6),
      f.attack.padEnd(24),
      f.metrics.auc.toFixed(3),
      (100 * f.metrics.tpr['0.001']).toFixed(2).padStart(6),
      (100 * f.metrics.tpr['0.01']).toFixed(2).padStart(6),
      seconds.toFixed(0).padStart(5),
    ].join('  '),
  );
}

async function benchTable(table: Table): Promise<void> {
  const split = splitTable(table);
  const schema = { labelColumn: table.label, idColumn: 'id', ...(table.classes ? { classes: table.classes } : {}) };
  const members = await loadLabeledCsv(split.members.data as Buffer, schema);
  const arch: MlpArchitecture = {
    nFeatures: members.nFeatures,
    hidden: table.hidden,
    numClasses: table.classes?.length ?? Math.max(...members.labels) + 1,
    activation: 'relu',
  };
  const started = Date.now();
  const target = writeMlpOnnx(await trainMlp(members, arch, { ...table.recipe, seed: SEED }));
  console.log(
    `\n== ${table.name}: ${table.members} members, ${table.members} non-members, population ${table.population}; ` +
      `target ${JSON.stringify(table.hidden)} trained ${table.recipe.epochs} epochs, batch ${table.recipe.batchSize}, ` +
      `lr ${table.recipe.learningRate} in ${((Date.now() - started) / 1000).toFixed(0)} s; K = ${K}`,
  );
  const base: AuditRequest = {
    model: target,
    ...split,
    labelColumn: table.label,
    idColumn: 'id',
    ...(table.classes ? { classes: [...table.classes] } : {}),
    attacks: ATTACKS,
    referenceModels: K,
    seed: SEED,
  };
  const configs: Array<[string, AuditRequest['referenceTraining']]> = [
    [
      'true',
      { epochs: table.recipe.epochs, batchSize: table.recipe.batchSize, learningRate: table.recipe.learningRate },
    ],
    ['auto', undefined],
    ['fixed', { epochs: 40 }],
  ];
  console.log('config  attack                    AUC    TPR@0.1%  TPR@1%  secs');
  const tprAt1 = new Map<string, Map<string, number>>();
  for (const [name, training] of configs) {
    const t0 = Date.now();
    const report = await runAudit({ ...base, ...(training ? { referenceTraining: training } : {}) });
    const seconds = (Date.now() - t0) / 1000;
    for (const line of row(name, report, seconds)) console.log(line);
    if (name === 'auto') {
      const fit = report.config.referenceFit;
      console.log(
        `        target fit on members: loss ${fit?.target?.loss?.toExponential(2)}, accuracy ${fit?.target?.accuracy.toFixed(3)}; ` +
          `references: ${(fit?.references ?? []).map((r) => `${r.mode} loss ${r.meanLoss.toExponential(2)} acc ${r.meanAccuracy.toFixed(3)} on ${r.trainRows} rows`).join('; ')}`,
      );
    }
    tprAt1.set(name, new Map(membershipFindings(report.findings).map((f) => [f.attack, f.metrics.tpr['0.01']])));
  }
  for (const attack of ATTACKS) {
    const truth = tprAt1.get('true')?.get(attack) ?? 0;
    const auto = tprAt1.get('auto')?.get(attack) ?? 0;
    const fixed = tprAt1.get('fixed')?.get(attack) ?? 0;
    const ratio = (x: number) => (truth > 0 ? (x / truth).toFixed(2) : 'n/a');
    console.log(`  ${attack.padEnd(24)} TPR@1% auto/true ${ratio(auto)}   fixed-40/true ${ratio(fixed)}`);
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const tables = wanted.length > 0 ? TABLES.filter((t) => wanted.includes(t.name)) : TABLES;
  console.log(`reference epochs: 'auto' vs the target's true recipe (seed ${SEED}, K = ${K})`);
  for (const table of tables) await benchTable(table);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
