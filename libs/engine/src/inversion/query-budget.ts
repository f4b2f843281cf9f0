// Counts the rows an inversion attack sends the target (one row = one query) and refuses to send more than the
// budget it was given: the audit's own cap and, for a metered target, what its endpoint budget has left.

import { EngineError, EngineErrorCode } from '../errors';
import type { TargetModel, TargetOutputs } from '../types';

export class InversionQueryBudget {
  private spent = 0;

  /** `limit`: the audit's cap on inversion queries (undefined = no cap of its own). */
  constructor(
    private readonly target: TargetModel,
    private readonly limit?: number,
  ) {}

  get queriesUsed(): number {
    return this.spent;
  }

  /** Queries still allowed: the smaller of the audit's cap and the metered target's remaining budget. */
  remaining(): number {
    let left = this.limit !== undefined ? this.limit - this.spent : Number.POSITIVE_INFINITY;
    const usage = this.target.usage?.();
    if (usage?.queryBudget !== undefined) left = Math.min(left, usage.queryBudget - usage.queriesUsed);
    return Math.max(0, left);
  }

  /** Queries the target on nRows rows, after checking the budget allows them all. */
  async predict(features: Float32Array, nRows: number, what: string): Promise<TargetOutputs> {
    if (nRows > this.remaining()) {
      throw new EngineError(
        EngineErrorCode.BudgetExceeded,
        `${what} needs ${nRows} more queries, but only ${this.remaining()} remain in the query budget`,
      );
    }
    this.spent += nRows;
    return this.target.predict(features, nRows);
  }
}
