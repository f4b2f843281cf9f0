import { probabilityRatio, rmiaMarginalProbability, rmiaPairwiseScores } from './rmia-attack';

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
    const scores = rmiaPairwiseScores(ratioX, ratioZ, 1);
    expect(Array.from(scores)).toEqual([0.75, 0]); // 1.8 > 0.5, 1, 1.5; 0.5 beats none strictly
    // γ = 2: x must exceed twice the z ratio: 1.8/0.5 = 3.6 > 2 only.
    expect(Array.from(rmiaPairwiseScores(ratioX, ratioZ, 2))).toEqual([0.25, 0]);
  });
});
