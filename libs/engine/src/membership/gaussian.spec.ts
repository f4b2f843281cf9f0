import { gaussianLogPdf, meanAndVariance, standardNormalLogCdf, standardNormalLogSurvival } from './gaussian';

describe('gaussian', () => {
  it('log-density matches the closed form on fixed numbers', () => {
    // N(0; 0, 1) = 1/sqrt(2π)
    expect(gaussianLogPdf(0, 0, 1)).toBeCloseTo(-0.9189385332, 9);
    // N(3; 1, 4): -0.5*(log 2π + log 4 + 1)
    expect(gaussianLogPdf(3, 1, 4)).toBeCloseTo(-0.5 * (Math.log(2 * Math.PI) + Math.log(4) + 1), 12);
  });

  it('log-survival matches known tail values and stays finite far out', () => {
    expect(Math.exp(standardNormalLogSurvival(0))).toBeCloseTo(0.5, 6);
    expect(Math.exp(standardNormalLogSurvival(1.959964))).toBeCloseTo(0.025, 6);
    expect(Math.exp(standardNormalLogSurvival(-1.959964))).toBeCloseTo(0.975, 6);
    // P(Z > 10) = 7.6198530241605e-24
    expect(standardNormalLogSurvival(10)).toBeCloseTo(Math.log(7.6198530241605e-24), 5);
    const far = standardNormalLogSurvival(60);
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeLessThan(-1700);
    expect(standardNormalLogCdf(1.959964)).toBeCloseTo(Math.log(0.975), 6);
  });

  it('log-survival is strictly decreasing', () => {
    let prev = Infinity;
    for (let z = -8; z <= 40; z += 0.25) {
      const v = standardNormalLogSurvival(z);
      expect(v).toBeLessThan(prev);
      prev = v;
    }
  });

  it('mean and population variance', () => {
    expect(meanAndVariance([1, 2, 3, 4])).toEqual({ mean: 2.5, variance: 1.25 });
  });
});
