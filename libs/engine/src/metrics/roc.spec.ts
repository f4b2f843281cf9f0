import { aucFromScores, firstIndexWithFnAtMost, rocCurve, tprAtFpr } from './roc';

describe('rocCurve', () => {
  // members 3,2,2,1 / non-members 2,1,0: thresholds +inf,3,2,1,0
  const members = [3, 2, 2, 1];
  const nonMembers = [2, 1, 0];

  it('groups tied scores into one threshold and counts flagged records', () => {
    const curve = rocCurve(members, nonMembers);
    expect(Array.from(curve.thresholds)).toEqual([Infinity, 3, 2, 1, 0]);
    expect(Array.from(curve.tp)).toEqual([0, 1, 3, 4, 4]);
    expect(Array.from(curve.fp)).toEqual([0, 0, 1, 2, 3]);
    expect(curve.nPos).toBe(4);
    expect(curve.nNeg).toBe(3);
  });

  it('AUC is the Mann-Whitney statistic with ties counted one half', () => {
    // pairs member > non-member: 3 -> 3; each 2 -> 1 + 1 + 0.5 tie; 1 -> 1 + 0.5 tie => 9.5 of 12
    expect(aucFromScores(members, nonMembers)).toBeCloseTo(9.5 / 12, 12);
    expect(aucFromScores([1, 1], [1, 1, 1])).toBe(0.5);
    expect(aucFromScores([5, 6], [1, 2])).toBe(1);
    expect(aucFromScores([1, 2], [5, 6])).toBe(0);
  });

  it('TPR at FPR is the highest TPR whose FPR does not exceed the level', () => {
    const curve = rocCurve(members, nonMembers);
    expect(tprAtFpr(curve, 0)).toMatchObject({ tpr: 0.25, fpr: 0, k: 1, fp: 0, threshold: 3 });
    // exactly 1/3 is allowed (no floating-point rounding down)
    expect(tprAtFpr(curve, 1 / 3)).toMatchObject({ tpr: 0.75, k: 3, fp: 1, threshold: 2 });
    expect(tprAtFpr(curve, 0.3)).toMatchObject({ k: 1, fp: 0 });
    expect(tprAtFpr(curve, 1)).toMatchObject({ tpr: 1, fpr: 1 });
  });

  it('a tie straddling the FPR level cannot be split: the threshold before it is used', () => {
    // 10 non-members; the top score is shared by 2 non-members and 5 members
    const curve = rocCurve([9, 9, 9, 9, 9, -1], [9, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(tprAtFpr(curve, 0.1)).toMatchObject({ k: 0, fp: 0 });
    expect(tprAtFpr(curve, 0.2)).toMatchObject({ k: 5, fp: 2 });
  });

  it('allows FPR exactly at the level', () => {
    const nonMembers = Array.from({ length: 1000 }, (_, i) => i);
    const members = [995, 991.5, 988.5];
    // threshold 990 flags 10 non-members (990..999): FPR exactly 0.01, allowed; 988.5 would need 11
    const curve = rocCurve(members, nonMembers);
    expect(tprAtFpr(curve, 0.01)).toMatchObject({ fp: 10, k: 2, threshold: 990 });
  });

  it('finds the strictest threshold that misses at most c members', () => {
    // tp along the curve: 0, 1, 3, 4, 4
    const curve = rocCurve(members, nonMembers);
    expect(firstIndexWithFnAtMost(curve, 0)).toBe(3);
    expect(firstIndexWithFnAtMost(curve, 1)).toBe(2);
    expect(firstIndexWithFnAtMost(curve, 2)).toBe(2);
    expect(firstIndexWithFnAtMost(curve, 3)).toBe(1);
    expect(firstIndexWithFnAtMost(curve, 4)).toBe(0);
  });

  it('rejects non-finite scores and empty samples', () => {
    expect(() => rocCurve([NaN, 1], [0])).toThrow(/non-finite/);
    expect(() => rocCurve([1], [-Infinity])).toThrow(/non-finite/);
    expect(() => rocCurve([], [1])).toThrow(/at least one member/);
  });
});
