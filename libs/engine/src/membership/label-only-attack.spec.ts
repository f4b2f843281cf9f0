import type { LabeledDataset, MembershipAttackContext, TargetModel, TargetOutputs } from '../types';
import { featureStandardDeviations, LabelOnlyAttack } from './label-only-attack';

function dataset(labels: number[], features: number[]): LabeledDataset {
  return {
    featureNames: ['x'],
    nRows: labels.length,
    nFeatures: 1,
    features: Float32Array.from(features),
    labels: Int32Array.from(labels),
    rowIds: labels.map((_, i) => String(i + 1)),
    sha256: '',
  };
}

/** A fixed threshold classifier answering one-hot labels only: class 1 when x > 0. */
const target: TargetModel = {
  signature: { inputName: 'x', nFeatures: 1, numClasses: 2, outputName: 'label', outputKind: 'labels', opset: 13 },
  predict: (features, nRows) => Promise.resolve(labelsOf(features, nRows)),
  dispose: () => Promise.resolve(),
};

function labelsOf(features: Float32Array, nRows: number): TargetOutputs {
  const probabilities = new Float32Array(nRows * 2);
  for (let i = 0; i < nRows; i++) probabilities[i * 2 + (features[i]! > 0 ? 1 : 0)] = 1;
  return { probabilities };
}

describe('LabelOnlyAttack', () => {
  it('scores records far from the decision boundary higher, and misclassified records 0', async () => {
    // Members lie far from x = 0, non-members close to it; one non-member is misclassified.
    const members = dataset([1, 0], [3, -3]);
    const nonMembers = dataset([1, 0], [0.05, 0.5]);
    const population = dataset([0, 1, 0, 1], [-1, 1, -1, 1]); // std 1
    const ctx: MembershipAttackContext = {
      target,
      members,
      nonMembers,
      population,
      memberOutputs: labelsOf(members.features, 2),
      nonMemberOutputs: labelsOf(nonMembers.features, 2),
      seed: 3,
      referenceModels: 0,
    };
    const attack = new LabelOnlyAttack({ noiseScales: [0.5, 1], copiesPerScale: 200 });
    expect(attack.access).toBe('labels');
    const scores = await attack.run(ctx);
    // Noise of std ≤ 1 rarely moves x = ±3 across 0 (P ≈ 0.1% at σ = 1).
    expect(scores.members[0]).toBeGreaterThan(0.97);
    expect(scores.members[1]).toBeGreaterThan(0.97);
    // x = 0.05 keeps its label about half the time.
    expect(scores.nonMembers[0]).toBeGreaterThan(0.35);
    expect(scores.nonMembers[0]).toBeLessThan(0.65);
    expect(scores.nonMembers[1]).toBe(0);
    // Seeded: the same seed gives the same scores.
    expect(await attack.run(ctx)).toEqual(scores);
  });

  it('measures each feature’s spread, 0 for constant features', () => {
    const ds: LabeledDataset = {
      ...dataset([0, 0], [0, 0]),
      nFeatures: 2,
      features: Float32Array.from([1, 5, 3, 5]),
      featureNames: ['a', 'b'],
    };
    expect(Array.from(featureStandardDeviations([ds]))).toEqual([1, 0]);
  });
});
