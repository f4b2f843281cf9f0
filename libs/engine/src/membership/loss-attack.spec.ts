import type { LabeledDataset, MembershipAttackContext, TargetModel, TargetOutputs } from '../types';
import { softmaxRows } from '../math/softmax';
import { computeMembershipMetrics } from '../metrics/membership-metrics';
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

  it('reads saturated float32 probabilities exactly through the other classes, with no logits', async () => {
    // p_y rounds to exactly 1.0 in float32 for all three, but the other classes keep their precision.
    const probabilities = Float32Array.of(1, 1e-9, 1e-9, 1, 1e-12, 0, 1, 3e-20, 1e-20);
    const scores = await new LossAttack().run(context({ probabilities }, [0, 0, 0], { probabilities }, [0, 0, 0]));
    expect(Array.from(probabilities.subarray(0, 1))).toEqual([1]);
    expect(scores.members[0]).toBeCloseTo(-2e-9, 15);
    expect(scores.members[1]).toBeCloseTo(-1e-12, 18);
    expect(scores.members[2]).toBeCloseTo(-4e-20, 26);
    expect(scores.members[2]).toBeGreaterThan(scores.members[1]!);
    expect(scores.members[1]).toBeGreaterThan(scores.members[0]!);
  });

  it('keeps TPR at low FPR on a saturating target, from logits and from float32 probabilities alike', async () => {
    // 2000 members with true-class margins 18..60 (float32 softmax is exactly 1.0 for all of them) and 2000
    // non-members with margins 0..40: members are separable at the top, but only exact scores show it.
    const n = 2000;
    const rows = (margin: (i: number) => number) => {
      const logits = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) logits.set([margin(i), 0, -1], i * 3);
      return { logits, probabilities: softmaxRows(logits, n, 3) };
    };
    const members = rows((i) => 18 + (42 * i) / n);
    const nonMembers = rows((i) => (40 * i) / n);
    expect(members.probabilities.filter((_, j) => j % 3 === 0).every((p) => p === 1)).toBe(true);
    const labels = new Array<number>(n).fill(0);
    for (const outputs of [
      [members, nonMembers],
      [{ probabilities: members.probabilities }, { probabilities: nonMembers.probabilities }],
    ] as const) {
      const scores = await new LossAttack().run(context(outputs[0], labels, outputs[1], labels));
      const metrics = computeMembershipMetrics(scores.members, scores.nonMembers);
      // Members with margin > 40 (about 48%) are above every non-member.
      expect(metrics.tpr['0.001']).toBeGreaterThan(0.4);
      expect(metrics.tpr['0.01']).toBeGreaterThan(0.4);
      // Scored as the log of the float32 probability, every member ties at 0 with the saturated non-members.
      const naive = (p: Float32Array) => Float64Array.from({ length: n }, (_, i) => Math.log(p[i * 3]!));
      const tied = computeMembershipMetrics(naive(members.probabilities), naive(nonMembers.probabilities));
      expect(tied.tpr['0.01']).toBe(0);
    }
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
