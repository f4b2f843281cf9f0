import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { loadLabeledCsv } from '../data/csv-dataset';
import { selectRows } from '../data/select-rows';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { SeededRandom } from '../random/seeded-random';
import { OnnxTarget } from '../targets/onnx-target';
import type { MlpWeights } from '../training/mlp';
import { trainMlp } from '../training/mlp-trainer';
import type { InversionFinding, LabeledDataset, ModelInversionMetrics, TargetModel } from '../types';
import type { InversionAttackContext } from './inversion-attack';
import { binomialUpperTail, MiFaceAttack } from './miface-attack';
import { rebuildOnnxGraph, type RebuiltGraph } from './onnx-graph-gradient';
import { InversionQueryBudget } from './query-budget';

jest.setTimeout(600_000);

describe('MI-Face on digits (8 x 8)', () => {
  let members: LabeledDataset;
  let nonMembers: LabeledDataset;
  let population: LabeledDataset;
  let overfitWeights: MlpWeights;
  let overfitBytes: Uint8Array;
  let overfit: OnnxTarget;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'privaudit-miface-'));
    const digits = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
    const order = new SeededRandom(5).permutation(digits.nRows);
    members = selectRows(digits, order.slice(0, 300));
    nonMembers = selectRows(digits, order.slice(300, 600));
    population = selectRows(digits, order.slice(600));
    overfitWeights = await trainMlp(
      members,
      { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' },
      { epochs: 200, batchSize: 32, learningRate: 0.005, l2: 0, seed: 5 },
    );
    overfitBytes = writeMlpOnnx(overfitWeights, { style: 'gemm', output: 'softmax' });
    overfit = await OnnxTarget.load(overfitBytes);
  });
  afterAll(async () => {
    await overfit.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = (target: TargetModel, extra: Partial<InversionAttackContext> = {}): InversionAttackContext => ({
    target,
    members,
    nonMembers,
    population,
    labelsOnly: false,
    seed: 3,
    budget: new InversionQueryBudget(target),
    topExposed: 5,
    attacksCompared: 1,
    ...extra,
  });
  const metricsOf = (f: InversionFinding) => f.metrics as ModelInversionMetrics;

  it('white-box gradients of the rebuilt graph match finite differences', () => {
    const rng = new SeededRandom(1);
    const x = Float64Array.from({ length: 64 }, () => 16 * rng.next());
    const graph = (rebuildOnnxGraph(overfitBytes, 64, 10) as { graph: RebuiltGraph }).graph;
    const classLogProbabilityGradient = (_w: MlpWeights, at: Float64Array, c: number) =>
      graph.classLogProbability(at, c);
    const { logProb, gradient } = classLogProbabilityGradient(overfitWeights, x, 3);
    const h = 1e-4;
    for (const i of [0, 9, 27, 36, 63]) {
      const plus = Float64Array.from(x);
      plus[i] = (plus[i] as number) + h;
      const minus = Float64Array.from(x);
      minus[i] = (minus[i] as number) - h;
      const numeric =
        (classLogProbabilityGradient(overfitWeights, plus, 3).logProb -
          classLogProbabilityGradient(overfitWeights, minus, 3).logProb) /
        (2 * h);
      expect(gradient[i]).toBeCloseTo(numeric, 4);
    }
    expect(Number.isFinite(logProb)).toBe(true);
  });

  it('white-box reconstructions of an overfit target are recognised well above chance, and written as CSV + PNG', async () => {
    const out = path.join(dir, 'white');
    const finding = await new MiFaceAttack().run(context(overfit, { modelBytes: overfitBytes, outDir: out }));
    const m = metricsOf(finding);
    expect(m.gradients).toBe('white-box');
    expect(m.gradientsNote).toContain('Gemm');
    expect(m.classes).toBe(10);
    expect(m.restarts).toBe(3);
    expect(m.reconstructions).toHaveLength(30);
    expect(m.recognisabilityInterval.lower).toBeGreaterThan(m.chance);
    expect(m.recognisabilityDesignEffect).toBeGreaterThanOrEqual(1);
    expect(m.recognisabilityDesignEffect).toBeLessThanOrEqual(3);
    expect(m.classesCompared).toBe(10);
    // White-box: only the final check of the 30 reconstructions is a query.
    expect(m.queriesUsed).toBe(30);
    const files = readdirSync(out).sort();
    expect(files).toContain('miface-class-0.csv');
    expect(files).toContain('miface-class-9.png');
    expect(files).toContain('miface-class-9-restart-2.png');
    const png = PNG.sync.read(readFileSync(path.join(out, 'miface-class-3.png')));
    expect(png.width).toBe(64);
    const csv = readFileSync(path.join(out, 'miface-class-3.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]?.split(',')).toHaveLength(66);
    expect(csv.slice(1).map((line) => line.split(',')[65])).toEqual(['0', '1', '2']);
    expect(
      csv[1]
        ?.split(',')
        .slice(0, 64)
        .every((v) => Number(v) >= 0 && Number(v) <= 16),
    ).toBe(true);
    // Each reconstruction carries its files and its synthesised image (8 x 8 grey, 0-255) for the report.
    const r = m.reconstructions.find((x) => x.classIndex === 3 && x.restart === 1);
    expect(r?.files).toEqual(['miface-class-3.csv', 'miface-class-3-restart-1.png']);
    expect(r?.image).toMatchObject({ width: 8, height: 8, channels: 1 });
    expect(r?.image?.pixels).toHaveLength(64);
    expect(r?.image?.pixels.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });

  it('black-box (NES) reconstructions beat chance within a stated query budget, and respect it', async () => {
    const budget = new InversionQueryBudget(overfit, 100_000);
    const finding = await new MiFaceAttack({ gradients: 'black-box' }).run(context(overfit, { budget }));
    const m = metricsOf(finding);
    expect(m.gradients).toBe('black-box');
    expect(m.queriesUsed).toBeLessThanOrEqual(100_000);
    expect(budget.queriesUsed).toBe(m.queriesUsed);
    expect(m.recognisabilityInterval.lower).toBeGreaterThan(m.chance);
    await expect(
      new MiFaceAttack({ gradients: 'black-box' }).run(
        context(overfit, { budget: new InversionQueryBudget(overfit, 500) }),
      ),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });

  it('null case: a target trained on the population only gives reconstructions no closer to the members', async () => {
    const weights = await trainMlp(
      population,
      { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' },
      { epochs: 200, batchSize: 32, learningRate: 0.005, l2: 0, seed: 6 },
    );
    const bytes = writeMlpOnnx(weights, { style: 'gemm', output: 'softmax' });
    const target = await OnnxTarget.load(bytes);
    try {
      const finding = await new MiFaceAttack().run(context(target, { modelBytes: bytes }));
      const m = metricsOf(finding);
      expect(m.closerToMembersPValue).toBeGreaterThan(0.01);
      expect(['none', 'low', 'medium']).toContain(finding.severity);
    } finally {
      await target.dispose();
    }
  });

  it('sign test p-values are exact binomial tails', () => {
    expect(binomialUpperTail(0, 10)).toBeCloseTo(1, 12);
    expect(binomialUpperTail(10, 10)).toBeCloseTo(1 / 1024, 12);
    expect(binomialUpperTail(8, 10)).toBeCloseTo(56 / 1024, 12);
  });
});
