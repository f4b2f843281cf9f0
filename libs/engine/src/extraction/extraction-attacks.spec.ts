import { LETTER } from '../../../../test/fixtures/datasets';
import type { TargetModel } from '../types';
import { SeededRandom } from '../random/seeded-random';
import { OutputPolicyTarget } from '../targets/output-policy';
import { CopycatAttack } from './copycat-attack';
import { EquationSolvingAttack } from './equation-solving-attack';
import type { ExtractionAttack } from './extraction-attack';
import { JacobianAttack } from './jacobian-attack';
import { CountingTarget, letterSplit, loadTarget, type LetterSplit, trainedTarget } from './extraction-fixtures';
import { KnockoffAttack } from './knockoff-attack';
import { runExtractionAttacks } from './run-extraction';
import { surrogateArchitecture } from './surrogate';

jest.setTimeout(300_000);

let split: LetterSplit;
beforeAll(async () => {
  split = await letterSplit(LETTER.path);
});

async function extract(
  target: TargetModel,
  attack: ExtractionAttack,
  budget: number,
  bytes?: Uint8Array,
  extra: { whatIf?: boolean; unwrappedTarget?: TargetModel; surrogateSteps?: number } = {},
) {
  const { architecture, source } = surrogateArchitecture(undefined, bytes, 16, 26);
  const memberOutputs = await target.predict(split.members.features, split.members.nRows);
  const nonMemberOutputs = await target.predict(split.nonMembers.features, split.nonMembers.nRows);
  return runExtractionAttacks({
    attacks: [attack],
    target,
    members: split.members,
    nonMembers: split.nonMembers,
    population: split.population,
    memberOutputs,
    nonMemberOutputs,
    architecture,
    architectureSource: source,
    seed: 3,
    queryBudget: budget,
    ...extra,
  });
}

describe('extraction.equation-solving', () => {
  it('recovers a softmax-linear letter model exactly from d + 1 queries (logits)', async () => {
    const { bytes } = await trainedTarget(split.train, [], 20);
    const target = new CountingTarget(await loadTarget(bytes));
    const [finding] = await extract(target, new EquationSolvingAttack(), 500);
    const m = finding!.metrics;
    expect(m.curve[0]!.queries).toBe(17);
    expect(m.curve[0]!.fidelity).toBe(1);
    expect(m.fidelity).toBe(1);
    expect(m.fidelityUniform).toBe(1);
    expect(m.queriesTo['0.99']).toBe(17);
    expect(m.queriesUsed).toBeLessThanOrEqual(8 * 17);
  });

  it('recovers it from probabilities alone (log-ratios) too', async () => {
    const { bytes } = await trainedTarget(split.train, [], 20);
    const onnx = await loadTarget(bytes);
    const noLogits: TargetModel = {
      signature: { ...onnx.signature, logitsTensorName: undefined } as TargetModel['signature'],
      predict: async (f, n) => ({ probabilities: (await onnx.predict(f, n)).probabilities }),
      dispose: () => onnx.dispose(),
    };
    const [finding] = await extract(noLogits, new EquationSolvingAttack(), 500);
    expect(finding!.metrics.fidelity).toBeGreaterThanOrEqual(0.999);
    expect(finding!.metrics.queriesTo['0.99']).toBe(17);
  });
});

describe('extraction.equation-solving with a feature constant in the data (a blank corner pixel)', () => {
  it('solves the other weights and folds the constant one into the bias: still exact, no rank error', async () => {
    const original = split;
    const constant = <T extends { features: Float32Array; nRows: number; nFeatures: number }>(ds: T): T => {
      const features = ds.features.slice();
      for (let r = 0; r < ds.nRows; r++) features[r * ds.nFeatures] = 3;
      return { ...ds, features };
    };
    split = {
      train: constant(original.train),
      members: constant(original.members),
      nonMembers: constant(original.nonMembers),
      population: constant(original.population),
    };
    try {
      const { bytes } = await trainedTarget(split.train, [], 20);
      const [finding] = await extract(await loadTarget(bytes), new EquationSolvingAttack(), 500);
      expect(finding!.metrics.fidelity).toBe(1);
      expect(finding!.metrics.queriesTo['0.99']).toBe(17);
    } finally {
      split = original;
    }
  });
});

describe('extraction.knockoff, copycat and jacobian on a letter MLP', () => {
  let target: { bytes: Uint8Array };
  beforeAll(async () => {
    target = await trainedTarget(split.train, [64], 40);
  });

  it('knockoff (random) reaches high fidelity from 1000 natural queries, never more', async () => {
    const counting = new CountingTarget(await loadTarget(target.bytes));
    const [finding] = await extract(counting, new KnockoffAttack('random'), 1000, target.bytes);
    const m = finding!.metrics;
    expect(m.queriesUsed).toBe(1000);
    expect(counting.rows).toBe(1000 + 2000 + 1000); // attack + held-out answers + uniform evaluation
    expect(m.curve.map((p) => p.queries)).toEqual([100, 250, 500, 1000]);
    expect(m.fidelity).toBeGreaterThan(0.85);
    expect(m.fidelityInterval.lower).toBeLessThan(m.fidelity);
    expect(m.surrogateAccuracy).toBeGreaterThan(0.8);
    expect(m.surrogate).toEqual({ hidden: [256], activation: 'relu', source: 'mirrored' });
    expect(finding!.exposure.score).toBeGreaterThanOrEqual(60);
    expect(['high', 'critical']).toContain(finding!.severity);
  });

  it('knockoff (adaptive bandit) learns within its budget', async () => {
    const counting = new CountingTarget(await loadTarget(target.bytes));
    const [finding] = await extract(counting, new KnockoffAttack('adaptive'), 500, target.bytes, {
      surrogateSteps: 3000,
    });
    expect(finding!.metrics.queriesUsed).toBe(500);
    expect(counting.rows).toBe(500 + 3000);
    expect(finding!.metrics.fidelity).toBeGreaterThan(0.6);
  });

  it('copycat steals from labels alone', async () => {
    const counting = new CountingTarget(new OutputPolicyTarget(await loadTarget(target.bytes), { kind: 'labels' }));
    expect(counting.signature.outputKind).toBe('labels');
    const [finding] = await extract(counting, new CopycatAttack(), 1000, target.bytes);
    expect(finding!.metrics.queriesUsed).toBe(1000);
    expect(counting.rows).toBe(1000 + 3000);
    expect(finding!.metrics.fidelity).toBeGreaterThan(0.75);
  });

  it('jacobian augmentation grows a small seed set into a working copy within the budget', async () => {
    const counting = new CountingTarget(new OutputPolicyTarget(await loadTarget(target.bytes), { kind: 'labels' }));
    const [finding] = await extract(counting, new JacobianAttack(), 600, target.bytes);
    const m = finding!.metrics;
    expect(m.curve[0]!.queries).toBe(75); // the seed set: budget / 8
    expect(m.curve.map((p) => p.queries)).toEqual([75, 150, 300, 600]);
    expect(counting.rows).toBe(600 + 3000);
    // well above a constant guess (about 4% on 26 classes)
    expect(m.fidelity).toBeGreaterThan(0.4);
    expect(m.curve[m.curve.length - 1]!.fidelity).toBeGreaterThan(m.curve[0]!.fidelity);
  });

  it('stops at what a metered target has left of its own budget', async () => {
    const inner = new CountingTarget(await loadTarget(target.bytes));
    let allowed = Infinity;
    const metered: TargetModel = {
      signature: inner.signature,
      predict: (f, n) => {
        if (inner.rows + n > allowed) throw new Error('over the endpoint budget');
        return inner.predict(f, n);
      },
      dispose: () => inner.dispose(),
      usage: () => ({ queriesUsed: inner.rows, queryBudget: allowed, cacheHits: 0 }),
    };
    const memberOutputs = await metered.predict(split.members.features, split.members.nRows);
    const nonMemberOutputs = await metered.predict(split.nonMembers.features, split.nonMembers.nRows);
    allowed = inner.rows + 1000 + 300; // the uniform evaluation, then 300 attack queries
    const [finding] = await runExtractionAttacks({
      attacks: [new KnockoffAttack('random')],
      target: metered,
      members: split.members,
      nonMembers: split.nonMembers,
      population: split.population,
      memberOutputs,
      nonMemberOutputs,
      architecture: surrogateArchitecture(undefined, target.bytes, 16, 26).architecture,
      architectureSource: 'mirrored',
      seed: 1,
      queryBudget: 5000,
      surrogateSteps: 1000,
    });
    expect(finding!.metrics.queriesUsed).toBe(300);
    expect(inner.rows).toBe(allowed);
  });

  it('what-if: labels-only answers cost the attacker more than full probabilities', async () => {
    const model = await loadTarget(target.bytes);
    const [finding] = await extract(model, new KnockoffAttack('random'), 250, target.bytes, {
      whatIf: true,
      surrogateSteps: 2000,
    });
    const whatIf = finding!.metrics.whatIf!;
    const by = Object.fromEntries(whatIf.outcomes.map((o) => [o.policy, o]));
    expect(Object.keys(by)).toEqual(['full', 'top-k:1', 'top-k:3', 'round:2', 'round:3', 'round:4', 'labels']);
    expect(by.labels!.fidelity!).toBeLessThan(by.full!.fidelity!);
    expect(by.labels!.queriesUsed).toBe(250);
    // what callers lose: rounding keeps the predicted class (up to ties), labels lose every probability
    expect(by['round:4']!.usefulness.labelAgreement).toBeGreaterThan(0.99);
    expect(by['round:4']!.usefulness.meanProbabilityChange).toBeLessThan(1e-3);
    expect(by.labels!.usefulness.labelAgreement).toBe(1);
    expect(by.labels!.usefulness.brierIncrease).toBeGreaterThan(0);
    expect(by.full!.usefulness.meanProbabilityChange).toBe(0);
    expect(whatIf.raisesCostMost).not.toBe('full');
    expect(whatIf.summary).toContain(whatIf.raisesCostMost);
  });
});

describe('extraction what-if for equation-solving (Tramèr et al.: rounding hurts, labels stop it)', () => {
  it('orders the policies by the attacker cost they impose', async () => {
    const { bytes } = await trainedTarget(split.train, [], 20);
    const model = await loadTarget(bytes);
    const [finding] = await extract(model, new EquationSolvingAttack(), 200, bytes, { whatIf: true });
    const by = Object.fromEntries(finding!.metrics.whatIf!.outcomes.map((o) => [o.policy, o]));
    expect(by.full!.fidelity).toBe(1);
    expect(by.labels!.fidelity).toBeNull();
    expect(by.labels!.note).toMatch(/needs confidences/);
    expect(finding!.metrics.whatIf!.raisesCostMost).toBe('labels');
    // coarser rounding leaves fewer usable equations: fidelity never rises as decimals are dropped
    expect(by['round:2']!.fidelity!).toBeLessThanOrEqual(by['round:3']!.fidelity!);
    expect(by['round:3']!.fidelity!).toBeLessThanOrEqual(by['round:4']!.fidelity!);
    expect(by['round:4']!.fidelity!).toBeLessThanOrEqual(by.full!.fidelity!);
    // what callers lose under rounding is small and measured
    expect(by['round:4']!.usefulness.meanProbabilityChange).toBeLessThan(1e-3);
  });
});

describe('null cases: a target with nothing to steal', () => {
  const answering = (answer: (r: number, c: number, rng: SeededRandom) => number): TargetModel => {
    const rng = new SeededRandom(9);
    return {
      signature: {
        inputName: 'x',
        nFeatures: 16,
        numClasses: 26,
        outputName: 'p',
        outputKind: 'probabilities',
        opset: 13,
      },
      predict: (_f, n) => {
        const p = new Float32Array(n * 26);
        for (let r = 0; r < n; r++) {
          let sum = 0;
          for (let j = 0; j < 26; j++) sum += p[r * 26 + j] = answer(r, j, rng);
          for (let j = 0; j < 26; j++) p[r * 26 + j] = p[r * 26 + j]! / sum;
        }
        return Promise.resolve({ probabilities: p });
      },
      dispose: () => Promise.resolve(),
    };
  };

  it('a constant target is rated as exposing nothing', async () => {
    const constant = answering((_r, j) => (j === 3 ? 10 : 1));
    const [finding] = await extract(constant, new KnockoffAttack('random'), 250, undefined, { surrogateSteps: 1000 });
    expect(finding!.metrics.fidelity).toBe(1); // trivially
    expect(finding!.metrics.baselineFidelity).toBe(1);
    expect(finding!.exposure.score).toBe(0);
    expect(finding!.exposure.rationale).toMatch(/one class/);
  });

  it('a target answering at random (no function of the input) is rated low', async () => {
    const random = answering((_r, _j, rng) => rng.next() ** 4);
    const [finding] = await extract(random, new KnockoffAttack('random'), 250, undefined, { surrogateSteps: 1000 });
    expect(finding!.metrics.fidelity).toBeLessThan(0.15);
    expect(finding!.exposure.score).toBeLessThan(10);
    expect(['none', 'low']).toContain(finding!.severity);
  });
});
