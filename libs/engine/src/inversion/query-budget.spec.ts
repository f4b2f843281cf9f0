import { EngineErrorCode } from '../errors';
import type { QueryUsage, TargetModel } from '../types';
import { InversionQueryBudget } from './query-budget';

/** A metered target as a remote endpoint reports it: each row answered spends one query of its budget. */
function meteredTarget(endpointBudget: number): TargetModel & { rowsAnswered: number } {
  let used = 0;
  const target = {
    rowsAnswered: 0,
    signature: {
      inputName: 'x',
      nFeatures: 2,
      numClasses: 2,
      outputName: 'p',
      outputKind: 'probabilities' as const,
      opset: 13,
    },
    predict(_features: Float32Array, nRows: number) {
      used += nRows;
      target.rowsAnswered += nRows;
      return Promise.resolve({ probabilities: new Float32Array(nRows * 2).fill(0.5) });
    },
    dispose: () => Promise.resolve(),
    usage: (): QueryUsage => ({ queriesUsed: used, queryBudget: endpointBudget, cacheHits: 0 }),
  };
  return target;
}

describe('InversionQueryBudget', () => {
  it("counts one query per row and stops at the smaller of its own cap and the endpoint's remaining budget", async () => {
    const target = meteredTarget(30);
    const budget = new InversionQueryBudget(target, 100);
    expect(budget.remaining()).toBe(30);
    await budget.predict(new Float32Array(20 * 2), 20, 'test');
    expect(budget.queriesUsed).toBe(20);
    expect(budget.remaining()).toBe(10);
    await expect(budget.predict(new Float32Array(11 * 2), 11, 'the next step')).rejects.toMatchObject({
      code: EngineErrorCode.BudgetExceeded,
      message: 'the next step needs 11 more queries, but only 10 remain in the query budget',
    });
    expect(target.rowsAnswered).toBe(20);
    const capped = new InversionQueryBudget(meteredTarget(1000), 5);
    expect(capped.remaining()).toBe(5);
  });
});
