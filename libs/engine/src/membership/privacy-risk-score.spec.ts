import { modifiedEntropy, privacyRiskScores } from './privacy-risk-score';

describe('privacy risk score', () => {
  it('modified entropy is 0 for a certain correct prediction and large for a confident wrong one', () => {
    const m = modifiedEntropy({ probabilities: Float32Array.from([1, 0, 0.01, 0.99]) }, Int32Array.from([0, 0]), 2);
    expect(m[0]).toBeCloseTo(0, 12);
    expect(m[1]).toBeGreaterThan(5);
  });

  it('turns class-conditional IN/OUT histograms into a posterior, near 1 where only members fall', () => {
    const inScores = Float64Array.from({ length: 100 }, (_, i) => i / 1000); // 0 .. 0.099
    const outScores = Float64Array.from({ length: 100 }, (_, i) => 0.5 + i / 100); // 0.5 .. 1.49
    const calibration = { inScores, inLabels: new Int32Array(100), outScores, outLabels: new Int32Array(100) };
    const risk = privacyRiskScores(calibration, Float64Array.from([0.01, 1.2]), Int32Array.from([0, 0]), 1);
    expect(risk[0]).toBeGreaterThan(0.9);
    expect(risk[1]).toBeLessThan(0.1);
    for (const r of risk) expect(r).toBeGreaterThan(0);
  });
});
