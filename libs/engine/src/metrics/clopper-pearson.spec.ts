import { clopperPearson } from './clopper-pearson';

describe('clopperPearson', () => {
  it('matches published exact intervals', () => {
    const zero = clopperPearson(0, 10);
    expect(zero.lower).toBe(0);
    expect(zero.upper).toBeCloseTo(0.3085, 4);
    const half = clopperPearson(5, 10);
    expect(half.lower).toBeCloseTo(0.1871, 4);
    expect(half.upper).toBeCloseTo(0.8129, 4);
    const all = clopperPearson(10, 10);
    expect(all.upper).toBe(1);
    expect(all.lower).toBeCloseTo(0.6915, 4);
  });

  it('narrows with confidence and with n', () => {
    const c99 = clopperPearson(5, 10, 0.99);
    const c90 = clopperPearson(5, 10, 0.9);
    expect(c99.lower).toBeLessThan(c90.lower);
    expect(c99.upper).toBeGreaterThan(c90.upper);
    const big = clopperPearson(500, 1000);
    expect(big.upper - big.lower).toBeLessThan(0.07);
  });

  it('rejects impossible counts', () => {
    expect(() => clopperPearson(11, 10)).toThrow();
    expect(() => clopperPearson(1.5, 10)).toThrow();
    expect(() => clopperPearson(1, 10, 1)).toThrow();
  });
});
