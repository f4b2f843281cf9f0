import type { LabeledDataset, MembershipAttackContext, ReferenceModelSet, TargetModel, TargetOutputs } from '../types';
import { fitRecordGaussians, LiraAttack, liraOnlineScores } from './lira-attack';
import { liraOfflineScores } from './lira-offline-attack';

describe('LiRA maths', () => {
  // 2 records x 4 models; record 0 IN models 0,1; record 1 IN models 2,3. refPhi[m * 2 + i].
  const inMask = Uint8Array.from([1, 0, 1, 0, 0, 1, 0, 1]);
  const refPhi = Float64Array.from([5, 0, 7, 2, 1, 6, -1, 8]);

  it('fits per-record Gaussians and pools the variance across records', () => {
    const fit = fitRecordGaussians(refPhi, 4, 2, (m, i) => inMask[m * 2 + i] === 1, true);
    expect(Array.from(fit.mean)).toEqual([6, 7]); // {5,7}, {6,8}
    expect(Array.from(fit.count)).toEqual([2, 2]);
    // Pooled: (2 + 2) / (1 + 1) = 2 for both records.
    expect(Array.from(fit.variance)).toEqual([2, 2]);
    const perExample = fitRecordGaussians(refPhi, 4, 2, (m, i) => inMask[m * 2 + i] !== 1, false);
    expect(Array.from(perExample.mean)).toEqual([0, 1]); // {1,-1}, {0,2}
    expect(Array.from(perExample.variance)).toEqual([2, 2]);
  });

  it('scores a record whose φ sits at the IN mean above one at the OUT mean', () => {
    const scores = liraOnlineScores(Float64Array.from([6, 1]), refPhi, inMask, 4, { pooledVariance: true });
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[1]).toBeLessThan(0);
    // Record 0 at μ_in = 6 with μ_out = 0, σ² = 2 both: log-ratio = (6 − 0)² / (2·2) = 9.
    expect(scores[0]).toBeCloseTo(9, 10);
  });

  it('offline: the one-sided score grows with φ and stays finite far in the tail', () => {
    const offlineMask = new Uint8Array(8);
    const s = liraOfflineScores(Float64Array.from([0, 500]), refPhi, offlineMask, 4, { pooledVariance: true });
    const t = liraOfflineScores(Float64Array.from([3, 1]), refPhi, offlineMask, 4, { pooledVariance: true });
    expect(t[0]).toBeGreaterThan(s[0]!);
    expect(Number.isFinite(s[1]!)).toBe(true);
    expect(s[1]).toBeGreaterThan(t[0]!);
  });
});

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

/** Two classes; logit of class 1 = feature value × model gain. */
function outputs(features: Float32Array, gain: number): TargetOutputs {
  const logits = new Float32Array(features.length * 2);
  features.forEach((x, i) => (logits[i * 2 + 1] = x * gain));
  const probabilities = logits.map((_, j) => {
    const row = Math.floor(j / 2);
    const z1 = logits[row * 2 + 1]!;
    const p1 = 1 / (1 + Math.exp(-z1));
    return j % 2 === 1 ? p1 : 1 - p1;
  });
  return { logits, probabilities };
}

describe('LiraAttack.run with a hand-built reference set', () => {
  it('uses the audited slice of the pool mask and the target logits', async () => {
    const members = dataset([1, 1], [1, 1.2]);
    const nonMembers = dataset([1, 1], [1.1, 0.9]);
    // Pool: 1 population row, then 2 members, then 2 non-members. Models IN a record push its logit up.
    const k = 4;
    const nRecords = 5;
    const inMask = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1]);
    const set: ReferenceModelSet = {
      mode: 'online',
      k,
      nRecords,
      nPopulation: 1,
      inMask,
      predict: (m, features, nRows) => {
        const out = outputs(features, 1);
        for (let i = 0; i < nRows; i++) if (inMask[m * nRecords + 1 + i] === 1) out.logits![i * 2 + 1]! += 4 + 0.1 * m;
        return Promise.resolve({ logits: out.logits, probabilities: out.probabilities });
      },
    };
    const target: TargetModel = {
      signature: {
        inputName: 'x',
        nFeatures: 1,
        numClasses: 2,
        outputName: 'p',
        outputKind: 'probabilities',
        opset: 13,
      },
      predict: () => Promise.reject(new Error('not used')),
      dispose: () => Promise.resolve(),
    };
    const memberOutputs = outputs(members.features, 1);
    memberOutputs.logits![1]! += 4;
    memberOutputs.logits![3]! += 4;
    const ctx: MembershipAttackContext = {
      target,
      members,
      nonMembers,
      population: dataset([0], [0]),
      memberOutputs,
      nonMemberOutputs: outputs(nonMembers.features, 1),
      seed: 1,
      referenceModels: k,
      references: { obtain: () => Promise.resolve(set) },
    };
    const scores = await new LiraAttack().run(ctx);
    expect(Math.min(...scores.members)).toBeGreaterThan(Math.max(...scores.nonMembers));
  });
});
