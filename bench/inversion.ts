// Benchmark (not a test): model inversion and attribute inference on the shipped datasets, printing figures.
// - inversion.attribute on penguins (sensitive column sex, through data/penguins.preprocessing.json): an overfit
//   target (members only) and a target that never saw the audited records, at three levels of label noise (noise
//   the target can only fit by memorising its rows, sex included); confidence and label-only variants; member,
//   non-member and baseline accuracies, the advantage and member gap with their 95% intervals, severity.
// - inversion.miface on digits (8 x 8): white-box and black-box (NES, stated budget) against an overfit MLP, one
//   trained on the population only, and the committed overfit CNN (white-box through the rebuilt Conv graph), at
//   1, 3 and 5 restarts per class: recognisability by an independent judge, closer-to-members share, both with
//   intervals clustered by class, the sign test over classes, queries.
// Asserts nothing about time. Run: npm run bench:inversion (BENCH_ONLY=miface skips attribute inference)
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { benchDataDir } from './datasets';
import { loadLabeledCsv } from '../libs/engine/src/data/csv-dataset';
import { selectRows } from '../libs/engine/src/data/select-rows';
import { AttributeInferenceAttack } from '../libs/engine/src/inversion/attribute-inference-attack';
import type { InversionAttack, InversionAttackContext } from '../libs/engine/src/inversion/inversion-attack';
import { MiFaceAttack } from '../libs/engine/src/inversion/miface-attack';
import { InversionQueryBudget } from '../libs/engine/src/inversion/query-budget';
import { writeMlpOnnx } from '../libs/engine/src/onnx/mlp-onnx-writer';
import { parsePreprocessingSpec } from '../libs/engine/src/preprocessing/preprocessing-spec';
import { SeededRandom } from '../libs/engine/src/random/seeded-random';
import { OnnxTarget } from '../libs/engine/src/targets/onnx-target';
import { trainMlp } from '../libs/engine/src/training/mlp-trainer';
import type { AttributeInferenceMetrics, LabeledDataset, ModelInversionMetrics } from '../libs/engine/src/types';

const DATA = benchDataDir();
const PENGUIN_CLASSES = ['Adelie', 'Chinstrap', 'Gentoo'];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

async function penguins(
  noise: number,
): Promise<{ members: LabeledDataset; nonMembers: LabeledDataset; population: LabeledDataset }> {
  const spec = parsePreprocessingSpec(
    readFileSync(path.join(DATA, 'penguins.preprocessing.json')),
    'penguins.preprocessing.json',
  );
  const rng = new SeededRandom(11);
  const [header, ...rows] = readFileSync(path.join(DATA, 'penguins.csv'), 'utf8').trimEnd().split('\n');
  const noisy = rows.map((line) => {
    const cells = line.split(',');
    if (rng.next() < noise) cells[0] = PENGUIN_CLASSES[rng.int(3)] as string;
    return cells.join(',');
  });
  const all = await loadLabeledCsv(Buffer.from(`${[header, ...noisy].join('\n')}\n`), {
    labelColumn: 'species',
    classes: PENGUIN_CLASSES,
    preprocessing: spec,
    fileLabel: 'penguins.csv',
  });
  const order = new SeededRandom(3).permutation(all.nRows);
  return {
    members: selectRows(all, order.slice(0, 120)),
    nonMembers: selectRows(all, order.slice(120, 240)),
    population: selectRows(all, order.slice(240)),
  };
}

async function target(
  train: LabeledDataset,
  hidden: number[],
  epochs: number,
  lr: number,
  standardize: boolean,
): Promise<{ bytes: Uint8Array; model: OnnxTarget }> {
  const weights = await trainMlp(
    train,
    {
      nFeatures: train.nFeatures,
      hidden,
      numClasses: train.labels.reduce((m, l) => Math.max(m, l), 0) + 1,
      activation: 'relu',
    },
    { epochs, batchSize: 16, learningRate: lr, l2: 0, seed: 3, standardize },
  );
  const bytes = writeMlpOnnx(weights, { style: 'gemm', output: 'softmax' });
  return { bytes, model: await OnnxTarget.load(bytes) };
}

function context(
  t: OnnxTarget,
  data: { members: LabeledDataset; nonMembers: LabeledDataset; population: LabeledDataset },
  extra: Partial<InversionAttackContext>,
): InversionAttackContext {
  return {
    target: t,
    ...data,
    labelsOnly: false,
    seed: 1,
    budget: new InversionQueryBudget(t),
    topExposed: 5,
    attacksCompared: 1,
    ...extra,
  };
}

async function attributeBench(): Promise<void> {
  console.log('inversion.attribute, penguins, sensitive column sex (120 members, 120 non-members, 104 population)');
  console.log(
    'noise  target    variant      members  non-members  baseline (kind)      advantage [95% CI]     gap [95% CI]           severity',
  );
  const spec = parsePreprocessingSpec(
    readFileSync(path.join(DATA, 'penguins.preprocessing.json')),
    'penguins.preprocessing.json',
  );
  for (const noise of [0, 0.2, 0.4]) {
    const data = await penguins(noise);
    for (const [name, train] of [
      ['overfit', data.members],
      ['unseen', data.population],
    ] as const) {
      const { model } = await target(train, [64], 300, 0.01, false);
      for (const labelsOnly of [false, true]) {
        const attack: InversionAttack = new AttributeInferenceAttack();
        const f = await attack.run(context(model, data, { labelsOnly, sensitiveColumn: 'sex', preprocessing: spec }));
        const m = f.metrics as AttributeInferenceMetrics;
        console.log(
          [
            noise.toFixed(1).padEnd(5),
            name.padEnd(8),
            m.variant.padEnd(11),
            pct(m.memberAccuracy).padStart(7),
            pct(m.nonMemberAccuracy).padStart(11),
            `${pct(m.baselineAccuracy)} (${m.baselineKind})`.padEnd(19),
            `${pts(m.advantage)} [${pts(m.advantageCi[0])}, ${pts(m.advantageCi[1])}]`.padEnd(22),
            `${pts(m.memberGap)} [${pts(m.memberGapCi[0])}, ${pts(m.memberGapCi[1])}]`.padEnd(22),
            f.severity,
          ].join('  '),
        );
      }
      await model.dispose();
    }
  }
  console.log(
    '(prior = majority value in the population; imputation = logistic regression on the other columns + label)',
  );
}

async function mifaceBench(): Promise<void> {
  const digits = await loadLabeledCsv(path.join(DATA, 'digits.csv'), { labelColumn: 'digit' });
  const order = new SeededRandom(5).permutation(digits.nRows);
  const data = {
    members: selectRows(digits, order.slice(0, 300)),
    nonMembers: selectRows(digits, order.slice(300, 600)),
    population: selectRows(digits, order.slice(600)),
  };
  // The committed CNN (test/fixtures/models/train_digits_cnn.py) was trained on rows 0-299 of digits.csv.
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const cnnData = {
    members: selectRows(digits, range(0, 300)),
    nonMembers: selectRows(digits, range(300, 600)),
    population: selectRows(digits, range(600, digits.nRows)),
  };
  const cnnBytes = readFileSync(path.join(DATA, '..', 'test', 'fixtures', 'models', 'digits-cnn.onnx'));
  console.log('\ninversion.miface, digits 8x8 (300 members, 300 non-members, 1197 population), 10 classes, chance 10%');
  console.log(
    'Intervals and recognised share over all classes x restarts, clustered by class (deff: design effect); the sign test takes one unit per class.',
  );
  console.log(
    'target       gradients   restarts  recognised [95% CI]   deff  closer to members [95% CI] classes (sign p)  member/non-member dist  queries   seconds  severity',
  );
  const overfit = await target(data.members, [64], 200, 0.005, true);
  const unseen = await target(data.population, [64], 200, 0.005, true);
  const cnn = await OnnxTarget.load(cnnBytes);
  const runs: Array<[string, OnnxTarget, Uint8Array, typeof data, 'white-box' | 'black-box', number]> = [
    ['MLP overfit', overfit.model, overfit.bytes, data, 'white-box', 1],
    ['MLP overfit', overfit.model, overfit.bytes, data, 'white-box', 3],
    ['MLP overfit', overfit.model, overfit.bytes, data, 'white-box', 5],
    ['MLP overfit', overfit.model, overfit.bytes, data, 'black-box', 1],
    ['MLP overfit', overfit.model, overfit.bytes, data, 'black-box', 3],
    ['MLP unseen', unseen.model, unseen.bytes, data, 'white-box', 3],
    ['MLP unseen', unseen.model, unseen.bytes, data, 'black-box', 3],
    ['CNN overfit', cnn, cnnBytes, cnnData, 'white-box', 1],
    ['CNN overfit', cnn, cnnBytes, cnnData, 'white-box', 3],
    ['CNN overfit', cnn, cnnBytes, cnnData, 'black-box', 3],
  ];
  for (const [name, model, bytes, d, gradients, restarts] of runs) {
    const started = Date.now();
    const attack = new MiFaceAttack({ gradients: gradients === 'black-box' ? 'black-box' : 'auto', restarts });
    const budget = new InversionQueryBudget(model, 100_000);
    const f = await attack.run(context(model, d, { modelBytes: bytes, budget }));
    const m = f.metrics as ModelInversionMetrics;
    const ci = (i: { lower: number; upper: number }) => `[${pct(i.lower)}, ${pct(i.upper)}]`;
    console.log(
      [
        name.padEnd(11),
        m.gradients.padEnd(10),
        String(m.restarts ?? 1).padStart(8),
        `${pct(m.recognisability)} ${ci(m.recognisabilityInterval)}`.padEnd(20),
        (m.recognisabilityDesignEffect ?? 1).toFixed(2).padStart(4),
        `${pct(m.closerToMembers)} ${ci(m.closerToMembersInterval)}`.padEnd(25),
        `${m.classesCloserToMembers ?? '-'}/${m.classesCompared ?? '-'} (p=${m.closerToMembersPValue.toFixed(3)})`.padEnd(
          16,
        ),
        `${m.meanMemberDistance.toFixed(3)} / ${m.meanNonMemberDistance.toFixed(3)}`.padEnd(22),
        String(m.queriesUsed).padStart(7),
        ((Date.now() - started) / 1000).toFixed(1).padStart(8),
        ` ${f.severity}`,
      ].join('  '),
    );
    if (m.gradients === 'white-box' && restarts === 1) console.log(`             (${m.gradientsNote ?? ''})`);
  }
  for (const t of [overfit.model, unseen.model, cnn]) await t.dispose();
  console.log(
    '(black-box budget: 100,000 queries shared by all restarts; one query = one row sent to the target. MLP targets: trainMlp, hidden 64; CNN: test/fixtures/models/digits-cnn.onnx)',
  );
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY !== 'miface') await attributeBench();
  await mifaceBench();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
