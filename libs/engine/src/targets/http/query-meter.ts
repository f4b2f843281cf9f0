// The hard per-audit query budget. One query is one row sent to the endpoint, in any attempt: a retried request
// spends its rows again (the endpoint received them), so the rows an endpoint ever receives from an audit never
// exceed its budget, even across retries and resumed runs (the ledger starts from what earlier runs spent).
// Spending is recorded in the ledger BEFORE the rows are sent, so a crash can never lose spent queries.

import { EngineError, EngineErrorCode } from '../../errors';
import type { QueryLedger } from './query-ledger';

export class QueryMeter {
  private used = 0;
  private cacheHits = 0;

  private constructor(
    readonly budget: number,
    /** What earlier runs of the same audit spent (from the ledger). */
    readonly spentBefore: number,
    private readonly ledger: QueryLedger,
    private readonly hostLabel: string,
  ) {}

  static async open(budget: number, ledger: QueryLedger, hostLabel: string): Promise<QueryMeter> {
    const spent = await ledger.spent();
    if (!Number.isSafeInteger(spent) || spent < 0)
      throw new EngineError(EngineErrorCode.Internal, 'query ledger: spent queries is not a non-negative integer');
    return new QueryMeter(budget, spent, ledger, hostLabel);
  }

  /** Queries left for this audit. */
  get remaining(): number {
    return Math.max(0, this.budget - this.spentBefore - this.used);
  }

  /** Queries spent in this run (cache hits excluded). */
  get queriesUsed(): number {
    return this.used;
  }

  get hits(): number {
    return this.cacheHits;
  }

  countCacheHits(rows: number): void {
    this.cacheHits += rows;
  }

  /**
   * Refuses, before anything is sent, a plan that needs more queries than are left (QUERY_BUDGET_EXCEEDED,
   * with the figures so the user can raise the budget or shrink the audit).
   */
  assertPlanFits(planned: number, what: string): void {
    if (planned > this.remaining) {
      throw new EngineError(
        EngineErrorCode.QueryBudgetExceeded,
        `remote target ${this.hostLabel}: ${what} needs ${planned} queries but the query budget leaves ${this.remaining} (budget ${this.budget}${this.spentBefore > 0 ? `, ${this.spentBefore} already spent by earlier runs` : ''}); raise the budget (--query-budget) or audit fewer rows`,
      );
    }
  }

  /** Spends `rows` queries about to be sent, recording them durably first; refuses to exceed the budget. */
  async spend(rows: number): Promise<void> {
    if (rows > this.remaining) {
      throw new EngineError(
        EngineErrorCode.TargetFailed,
        `remote target ${this.hostLabel}: the query budget is exhausted (${this.budget} queries${this.spentBefore > 0 ? `, ${this.spentBefore} spent by earlier runs` : ''}); retries spent part of it. Nothing more was sent`,
      );
    }
    this.used += rows;
    try {
      await this.ledger.record(rows);
    } catch {
      throw new EngineError(
        EngineErrorCode.TargetFailed,
        `remote target ${this.hostLabel}: the query ledger could not record spending; stopped before sending`,
      );
    }
  }
}
