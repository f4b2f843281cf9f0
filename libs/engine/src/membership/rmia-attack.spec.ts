import type { LabeledDataset, MembershipAttackContext, ReferenceModelSet, TargetModel, TargetOutputs } from '../types';
import {
  calibrateOfflineA,
  probabilityRatio,
  RMIA_DEFAULT_OFFLINE_A,
  RMIA_OFFLINE_A_GRID,
  RmiaAttack,
  rmiaMarginalProbability,
  rmiaPairwiseScores,
} from './rmia-attack';

describe('RMIA maths', () => {
  it('offline marginal applies ½((1+a)·Pr_OUT + (1−a)); online averages all models', () => {
    // 1 record, 2 models, both OUT, true-label probabilities 0.4 and 0.6.
    const refP = Float64Array.from([0.4, 0.6]);
    const offline = rmiaMarginalProbability(refP, new Uint8Array(2), 2, 1, 'offline', 0.3);
    expect(offline[0]).toBeCloseTo(0.5 * (1.3 * 0.5 + 0.7), 12);
    // Online with model 0 IN: mean over all models, no correction.
    const online = rmiaMarginalProbability(refP, Uint8Array.from([1, 0]), 2, 1, 'online', 0.3);
    expect(online[0]).toBeCloseTo(0.5, 12);
  });

  it('scores x by the fraction of population z it dominates by more than γ', () => {
    // Pr(x|θ)/Pr(x): 0.9/0.5 = 1.8 and 0.3/0.6 = 0.5
    const ratioX = probabilityRatio(Float64Array.from([0.9, 0.3]), Float64Array.from([0.5, 0.6]));
    expect(ratioX[0]).toBeCloseTo(1.8, 12);
    const ratioZ = Float64Array.from([0.5, 1, 1.5, 2]);
    const nz = ratioZ.length;
    const counts = (scores: Float64Array) => Array.from(scores, (s) => Math.floor(s * nz));
    const scores = rmiaPairwiseScores(ratioX, ratioZ, 1);
    expect(counts(scores)).toEqual([3, 0]); // 1.8 > 0.5, 1, 1.5; 0.5 beats none strictly
    // The fraction of z dominated is the score's whole part: the tie-break stays below the next count.
    expect(scores[0]).toBeGreaterThanOrEqual(0.75);
    expect(scores[0]).toBeLessThan(1);
    // γ = 2: x must exceed twice the z ratio: 1.8/0.5 = 3.6 > 2 only.
    expect(counts(rmiaPairwiseScores(ratioX, ratioZ, 2))).toEqual([1, 0]);
  });

  it('breaks ties at the top by the likelihood ratio: records above every z keep their order', () => {
    const ratioZ = Float64Array.from([0.5, 1, 1.5, 2]);
    // Five records above every z (a saturated target's members) and two between the same pair of z ratios.
    const ratioX = Float64Array.from([2.5, 1e3, 40, 1e12, 3, 1.2, 1.4]);
    const scores = rmiaPairwiseScores(ratioX, ratioZ, 1);
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
    expect(order).toEqual([3, 1, 2, 4, 0, 6, 5]);
    expect(new Set(scores).size).toBe(ratioX.length);
    for (const s of scores.subarray(0, 5)) expect(s).toBeGreaterThanOrEqual(1);
    for (const s of scores.subarray(5)) {
      expect(s).toBeGreaterThanOrEqual(0.5);
      expect(s).toBeLessThan(0.75);
    }
    // Monotone in the ratio everywhere, including at and around the z ratios themselves.
    const grid = Float64Array.from({ length: 400 }, (_, i) => 0.1 * 1.02 ** i);
    const gridScores = rmiaPairwiseScores(grid, ratioZ, 1);
    for (let i = 1; i < grid.length; i++) expect(gridScores[i]!).toBeGreaterThan(gridScores[i - 1]!);
  });
});

// Two reference models over five population rows, built so that only a = 0.2 ranks reference model 0's
// members above its non-members. Model 0 playing the target, model 1 its reference (a row's Pr_OUT = p1):
//   member A (p0 0.5, p1 1)       ratio 0.5                non-member A (p0 0.1875, p1 0) ratio 0.375/(1−a)
//   member B (p0 0.2125, p1 0)    ratio 0.425/(1−a)        non-member B (p0 0.5, p1 1)    ratio 0.5
// member A beats non-member A only for a < 0.25, member B beats non-member B only for a > 0.15. Model 1
// playing the target (row 4 its member) ranks the same whatever a is, so it cannot move the choice.
const ROWS = [
  { in0: 1, in1: 0, p0: 0.5, p1: 1 },
  { in0: 1, in1: 0, p0: 0.2125, p1: 0 },
  { in0: 0, in1: 0, p0: 0.1875, p1: 0 },
  { in0: 0, in1: 0, p0: 0.5, p1: 1 },
  { in0: 0, in1: 1, p0: 1, p1: 1 },
];
const N = ROWS.length;
const refP = Float64Array.from([...ROWS.map((r) => r.p0), ...ROWS.map((r) => r.p1)]);
const inMask = Uint8Array.from([...ROWS.map((r) => r.in0), ...ROWS.map((r) => r.in1)]);

describe('RMIA offline a calibration (reference model as target)', () => {
  it('picks the grid value that alone separates the constructed members and non-members', () => {
    const calibration = calibrateOfflineA(refP, inMask, 2, N, 1);
    expect(calibration.targetsPlayed).toBe(2);
    expect(calibration.a).toBe(0.2);
    const at = (a: number): number => calibration.meanAuc[RMIA_OFFLINE_A_GRID.indexOf(a)]!;
    // Model 1's mean AUC is the same for every a, so model 0 alone decides, and only a = 0.2 ranks both of its
    // members above both of its non-members.
    for (const a of RMIA_OFFLINE_A_GRID) if (a !== 0.2) expect(at(a)).toBeLessThan(at(0.2));
  });

  it('with swapped members and non-members of model 0 it no longer picks 0.2, and is deterministic', () => {
    const swapped = Uint8Array.from(inMask);
    for (const i of [0, 1, 2, 3]) swapped[i] = 1 - swapped[i]!;
    const first = calibrateOfflineA(refP, swapped, 2, N, 1);
    expect(RMIA_OFFLINE_A_GRID).toContain(first.a);
    expect(first.a).not.toBe(0.2);
    expect(calibrateOfflineA(refP, swapped, 2, N, 1)).toEqual(first);
  });

  it('falls back to the default with one reference model or when no model has both members and non-members', () => {
    const one = calibrateOfflineA(refP.subarray(0, N), inMask.subarray(0, N), 1, N, 1);
    expect(one).toEqual({ a: RMIA_DEFAULT_OFFLINE_A, meanAuc: [], targetsPlayed: 0 });
    const allIn = calibrateOfflineA(refP, new Uint8Array(2 * N).fill(1), 2, N, 1);
    expect(allIn.a).toBe(RMIA_DEFAULT_OFFLINE_A);
    expect(allIn.targetsPlayed).toBe(0);
  });
});

// The attack end to end on the same rows: one feature holds the pool row index, and each reference model
// answers a two-class model's probability of class 0 (every label is 0) from the table above.
describe('RmiaAttack offline a', () => {
  const dataset = (rows: number[]): LabeledDataset => ({
    featureNames: ['row'],
    nRows: rows.length,
    nFeatures: 1,
    features: Float32Array.from(rows),
    labels: new Int32Array(rows.length),
    rowIds: rows.map(String),
    sha256: '',
  });
  const outputs = (p: number[]): TargetOutputs => ({ probabilities: Float32Array.from(p.flatMap((q) => [q, 1 - q])) });
  // Audited rows 5..8 (2 members, 2 non-members): OUT of both models, as offline pools have them.
  const table = (m: number, row: number): number => (row < N ? refP[m * N + row]! : 0.5);

  function referenceSet(k: number): ReferenceModelSet {
    const nRecords = N + 4;
    const mask = new Uint8Array(k * nRecords);
    for (let m = 0; m < k; m++) mask.set(inMask.subarray(m * N, (m + 1) * N), m * nRecords);
    return {
      mode: 'offline',
      k,
      nRecords,
      nPopulation: N,
      inMask: mask,
      predict: async (m, features, nRows) => outputs(Array.from(features.subarray(0, nRows), (row) => table(m, row))),
    };
  }

  async function chosenA(k: number, offlineA?: number | 'calibrate'): Promise<string> {
    const target: TargetModel = {
      signature: {} as TargetModel['signature'],
      predict: async (features, nRows) => outputs(Array.from(features.subarray(0, nRows), () => 0.5)),
      dispose: async () => undefined,
    };
    const messages: string[] = [];
    const ctx: MembershipAttackContext = {
      target,
      members: dataset([5, 6]),
      nonMembers: dataset([7, 8]),
      population: dataset([0, 1, 2, 3, 4]),
      memberOutputs: outputs([0.9, 0.8]),
      nonMemberOutputs: outputs([0.4, 0.3]),
      seed: 1,
      referenceModels: k,
      references: { obtain: async () => referenceSet(k) },
      onProgress: (_f, message) => message?.startsWith('offline a') && messages.push(message),
    };
    await new RmiaAttack(offlineA === undefined ? {} : { offlineA }).run(ctx);
    expect(messages).toHaveLength(1);
    return messages[0]!;
  }

  it('calibrates by default and reports the chosen a', async () => {
    expect(await chosenA(2)).toMatch(/^offline a = 0\.2 \(calibrated on 2 reference models/);
  });

  it('keeps a fixed a, and falls back to 0.3 with one reference model', async () => {
    expect(await chosenA(2, 0.6)).toBe('offline a = 0.6 (set)');
    expect(await chosenA(1)).toMatch(/^offline a = 0\.3 \(default/);
  });

  it('rejects an a outside [0, 1]', () => {
    expect(() => new RmiaAttack({ offlineA: 1.5 })).toThrow(/\[0, 1\]/);
  });
});
