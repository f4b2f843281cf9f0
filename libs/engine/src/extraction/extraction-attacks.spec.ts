import { LETTER } from '../../../../test/fixtures/datasets';
import type { TargetModel } from '../types';
import { EquationSolvingAttack } from './equation-solving-attack';
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
  attack: EquationSolvingAttack | KnockoffAttack,
  budget: number,
  bytes?: Uint8Array,
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

describe('extraction.knockoff', () => {
  let target: { bytes: Uint8Array };
  beforeAll(async () => {
    target = await trainedTarget(split.train, [64], 40);
  });

  it.each(['random', 'adaptive'] as const)(
    'steals a letter MLP with %s natural queries within the budget',
    async (strategy) => {
      const counting = new CountingTarget(await loadTarget(target.bytes));
      const [finding] = await extract(counting, new KnockoffAttack(strategy), 2000, target.bytes);
      const m = finding!.metrics;
      console.log(
        strategy,
        m.curve.map((p) => `${p.queries}:${p.fidelity.toFixed(3)}`).join(' '),
        m.fidelityUniform,
        m.surrogateAccuracy,
      );
      expect(m.queriesUsed).toBe(2000);
      expect(counting.rows).toBe(2000 + 2000 + 1000); // attack + held-out answers + uniform evaluation
      expect(m.fidelity).toBeGreaterThan(0.85);
      expect(finding!.exposure.score).toBeGreaterThan(60);
    },
  );
});
