import type { LabeledDataset, MembershipAttackContext, TargetModel, TargetOutputs } from '../types';
import { ConfidenceAttack } from './confidence-attack';
import { LossAttack } from './loss-attack';

function dataset(labels: number[]): LabeledDataset {
  return {
    featureNames: ['x'],
    nRows: labels.length,
    nFeatures: 1,
    features: new Float32Array(labels.length),
    labels: Int32Array.from(labels),
    rowIds: labels.map((_, i) => String(i + 1)),
    sha256: '',
  };
}

const target: TargetModel = {
  signature: { inputName: 'x', nFeatures: 1, numClasses: 3, outputName: 'p', outputKind: 'probabilities', opset: 13 },
  predict: () => Promise.reject(new Error('attacks must use the shared outputs')),
  dispose: () => Promise.resolve(),
};

function context(
  memberOutputs: TargetOutputs,
  memberLabels: number[],
  nonMemberOutputs: TargetOutputs,
  nonMemberLabels: number[],
): MembershipAttackContext {
  return {
    target,
    members: dataset(memberLabels),
    nonMembers: dataset(nonMemberLabels),
    memberOutputs,
    nonMemberOutputs,
    seed: 1,
    referenceModels: 0,
  };
}

describe('LossAttack', () => {
  it('scores each record with log p of its true label', async () => {
    const members = { probabilities: Float32Array.of(0.7, 0.2, 0.1, 0.1, 0.8, 0.1) };
    const nonMembers = { probabilities: Float32Array.of(0.5, 0.25, 0.25) };
    const scores = await new LossAttack().run(context(members, [0, 2], nonMembers, [1]));
    expect(scores.attack).toBe('membership.loss');
    expect(scores.members[0]).toBeCloseTo(Math.log(0.7), 6);
    expect(scores.members[1]).toBeCloseTo(Math.log(0.1), 6);
    expect(scores.nonMembers[0]).toBeCloseTo(Math.log(0.25), 6);
  });

  it('prefers logits (log-softmax) where float32 probabilities saturate', async () => {
    // logits (0, 120, 0): p_0 underflows to 0 in float32, log-softmax is exactly -120 - log(1 + e^-120)
    const logits = Float32Array.of(0, 120, 0, 0, 130, 0);
    const probabilities = Float32Array.of(0, 1, 0, 0, 1, 0);
    const scores = await new LossAttack().run(
      context({ probabilities, logits }, [0, 0], { probabilities, logits }, [1, 1]),
    );
    expect(scores.members[0]).toBeCloseTo(-120, 6);
    expect(scores.members[1]).toBeCloseTo(-130, 6);
    expect(scores.members[0]).toBeGreaterThan(scores.members[1]!);
    expect(Number.isFinite(scores.nonMembers[0]!)).toBe(true);
  });

  it('clamps zero probabilities instead of returning -Infinity', async () => {
    const probabilities = Float32Array.of(0, 1, 0);
    const scores = await new LossAttack().run(context({ probabilities }, [0], { probabilities }, [1]));
    expect(Number.isFinite(scores.members[0]!)).toBe(true);
    expect(scores.members[0]).toBeLessThan(-100);
    expect(scores.nonMembers[0]).toBe(0);
  });

  it('refuses outputs of the wrong shape', async () => {
    const probabilities = Float32Array.of(0.5, 0.5);
    await expect(new LossAttack().run(context({ probabilities }, [0], { probabilities }, [1]))).rejects.toThrow(
      /membership\.loss/,
    );
  });
});

describe('ConfidenceAttack', () => {
  it('scores with the maximum probability and ignores the label', async () => {
    const members = { probabilities: Float32Array.of(0.7, 0.2, 0.1, 0.1, 0.8, 0.1) };
    const nonMembers = { probabilities: Float32Array.of(0.4, 0.35, 0.25) };
    const a = await new ConfidenceAttack().run(context(members, [0, 2], nonMembers, [1]));
    const b = await new ConfidenceAttack().run(context(members, [1, 0], nonMembers, [2]));
    expect(a.members[0]).toBeCloseTo(Math.log(0.7), 6);
    expect(a.members[1]).toBeCloseTo(Math.log(0.8), 6);
    expect(a.nonMembers[0]).toBeCloseTo(Math.log(0.4), 6);
    expect(Array.from(b.members)).toEqual(Array.from(a.members));
  });

  it('uses logits when present', async () => {
    const logits = Float32Array.of(1, 2, 3);
    const probabilities = Float32Array.of(0.09, 0.24, 0.67);
    const s = await new ConfidenceAttack().run(context({ probabilities, logits }, [0], { probabilities, logits }, [0]));
    expect(s.members[0]).toBeCloseTo(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 10);
  });
});
