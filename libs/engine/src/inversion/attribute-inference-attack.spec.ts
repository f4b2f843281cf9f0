import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  PENGUIN_CLASSES,
  PENGUINS_ID,
  PENGUINS_LABEL,
  penguinsSpec,
  trainPenguinsTarget,
  type PenguinSplitFiles,
  writePenguinSplit,
} from '../../../../test/fixtures/penguins';
import { loadLabeledCsv } from '../data/csv-dataset';
import { EngineError, EngineErrorCode } from '../errors';
import { SeededRandom } from '../random/seeded-random';
import { OnnxTarget } from '../targets/onnx-target';
import type { AttributeInferenceMetrics, InversionFinding, LabeledDataset, TargetModel } from '../types';
import { AttributeInferenceAttack } from './attribute-inference-attack';
import type { InversionAttackContext } from './inversion-attack';
import { InversionQueryBudget } from './query-budget';
import { resolveSensitiveAttribute } from './sensitive-attribute';

jest.setTimeout(300_000);

const load = (file: string): Promise<LabeledDataset> =>
  loadLabeledCsv(file, {
    labelColumn: PENGUINS_LABEL,
    idColumn: PENGUINS_ID,
    classes: PENGUIN_CLASSES,
    preprocessing: penguinsSpec(),
  });

/**
 * Replaces the species of a share of rows by a random one in every file alike: label noise a target can only fit
 * by memorising its training rows, sex included. Members and non-members stay one distribution.
 */
function relabel(file: string, share: number, seed: number): void {
  const rng = new SeededRandom(seed);
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const out = rows.map((line) => {
    const cells = line.split(',');
    if (rng.next() < share) cells[1] = PENGUIN_CLASSES[rng.int(PENGUIN_CLASSES.length)] as string;
    return cells.join(',');
  });
  writeFileSync(file, `${[header, ...out].join('\n')}\n`);
}

function catchEngineError(run: () => unknown): EngineError {
  try {
    run();
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('expected an EngineError');
}

describe('AttributeInferenceAttack on penguins, sensitive column sex', () => {
  let dir: string;
  let split: PenguinSplitFiles;
  let members: LabeledDataset;
  let nonMembers: LabeledDataset;
  let population: LabeledDataset;
  let overfit: OnnxTarget;
  let unseen: OnnxTarget;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'privaudit-attr-'));
    split = await writePenguinSplit(dir, 3);
    for (const file of [split.members, split.nonMembers, split.population]) relabel(file, 0.4, 11);
    [members, nonMembers, population] = await Promise.all([
      load(split.members),
      load(split.nonMembers),
      load(split.population),
    ]);
    overfit = await OnnxTarget.load(await trainPenguinsTarget(split.members, 3, 300));
    // Trained on the population only: it never saw a member or a non-member.
    unseen = await OnnxTarget.load(await trainPenguinsTarget(split.population, 3, 300));
  });
  afterAll(async () => {
    await overfit.dispose();
    await unseen.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = (target: TargetModel, extra: Partial<InversionAttackContext> = {}): InversionAttackContext => ({
    target,
    members,
    nonMembers,
    population,
    labelsOnly: false,
    seed: 1,
    sensitiveColumn: 'sex',
    preprocessing: penguinsSpec(),
    budget: new InversionQueryBudget(target),
    topExposed: 5,
    attacksCompared: 1,
    ...extra,
  });
  const metricsOf = (f: InversionFinding) => f.metrics as AttributeInferenceMetrics;

  it('recovers sex for members of an overfit target beyond the model-free baseline and beyond non-members', async () => {
    const finding = await new AttributeInferenceAttack().run(context(overfit));
    const m = metricsOf(finding);
    expect(m.variant).toBe('confidence');
    expect(m.candidates).toBe(2);
    expect(m.advantageCi[0]).toBeGreaterThan(0);
    expect(m.memberGapCi[0]).toBeGreaterThan(0.05);
    expect(m.memberAccuracy).toBeGreaterThan(m.baselineAccuracy);
    expect(m.leakageLowerBound).toBeGreaterThan(0);
    expect(finding.severity).not.toBe('none');
    expect(finding.exposure.score).toBeGreaterThanOrEqual(10);
    // Two candidates per audited record, one query each; records with sex missing are left out.
    expect(m.queriesUsed).toBe(2 * (m.nMembers + m.nNonMembers));
    expect(m.recordsWithoutValue).toBeGreaterThanOrEqual(0);
    expect(m.bySensitiveValue.map((g) => g.value)).toEqual(['female', 'male']);
    expect(m.bySensitiveValue.reduce((s, g) => s + g.nMembers, 0)).toBe(m.nMembers);
    for (const interval of [m.memberAccuracyInterval, m.nonMemberAccuracyInterval, m.baselineAccuracyInterval]) {
      expect(interval.lower).toBeLessThanOrEqual(interval.upper);
    }
    expect(finding.mostExposed?.[0]?.rowId).toMatch(/^penguin-\d+$/);
    expect(finding.mostExposed?.[0]?.rank).toBe(1);
  });

  it('label-only variant: the same leak from predicted labels alone', async () => {
    const m = metricsOf(await new AttributeInferenceAttack().run(context(overfit, { labelsOnly: true })));
    expect(m.variant).toBe('label-only');
    expect(m.memberGapCi[0]).toBeGreaterThan(0);
    expect(m.advantage).toBeGreaterThan(0);
  });

  it('null case: a target that never saw the audited records shows no member gap', async () => {
    const finding = await new AttributeInferenceAttack().run(context(unseen));
    const m = metricsOf(finding);
    expect(m.memberGapCi[0]).toBeLessThanOrEqual(0);
    expect(m.memberGapCi[1]).toBeGreaterThanOrEqual(0);
    expect(['none', 'low']).toContain(finding.severity);
    expect(m.leakageLowerBound).toBeLessThanOrEqual(0.01);
  });

  it('respects the query budget: audits fewer records, or refuses when it cannot cover enough', async () => {
    const budget = new InversionQueryBudget(overfit, 100);
    const m = metricsOf(await new AttributeInferenceAttack().run(context(overfit, { budget })));
    expect(m.nMembers).toBe(25);
    expect(m.nNonMembers).toBe(25);
    expect(budget.queriesUsed).toBe(100);
    const tooSmall = new AttributeInferenceAttack().run(
      context(overfit, { budget: new InversionQueryBudget(overfit, 40) }),
    );
    await expect(tooSmall).rejects.toMatchObject({ code: EngineErrorCode.BudgetExceeded });
  });

  it('refuses a sensitive column that is missing, continuous, or a missing indicator only, naming it', () => {
    const spec = penguinsSpec();
    const missing = catchEngineError(() => resolveSensitiveAttribute('sexx', 15, [members], spec));
    expect(missing.code).toBe(EngineErrorCode.CsvMissingColumn);
    expect(missing.message).toContain("'sexx'");
    expect(missing.message).toContain("did you mean 'sex'");
    const continuous = catchEngineError(() => resolveSensitiveAttribute('body_mass_g', 15, [members], spec));
    expect(continuous.code).toBe(EngineErrorCode.InvalidOption);
    expect(continuous.message).toMatch(/'body_mass_g' is numeric \(continuous\).*no binning rule/);
  });

  it('without a spec: a model input; refuses a single-valued or continuous column without naming values', () => {
    const dataset = (values: number[]): LabeledDataset => ({
      featureNames: ['age', 'smoker'],
      nRows: values.length,
      nFeatures: 2,
      features: Float32Array.from(values.flatMap((v, i) => [20 + i * 0.37, v])),
      labels: new Int32Array(values.length),
      rowIds: values.map((_, i) => String(i + 1)),
      sha256: '',
    });
    const ok = resolveSensitiveAttribute('smoker', 2, [dataset([0, 1, 1, 0])]);
    expect(ok.candidates).toEqual(['0', '1']);
    expect(ok.valueOf(dataset([0, 1, 1, 0]), 2)).toBe(1);
    const single = catchEngineError(() => resolveSensitiveAttribute('smoker', 2, [dataset([1, 1, 1])]));
    expect(single.message).toBe("sensitive column 'smoker' has a single value in the data: there is nothing to infer");
    const continuous = catchEngineError(() =>
      resolveSensitiveAttribute('age', 2, [dataset(Array.from({ length: 30 }, () => 0))]),
    );
    expect(continuous.message).toContain("'age' looks continuous");
    expect(continuous.message).not.toMatch(/\d+\.\d/);
  });
});
