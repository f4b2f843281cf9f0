// Where an audit's query spending is recorded as it goes. The service implements it over Postgres (one row per
// audit, incremented per answered request), so a retried or resumed job starts from what earlier attempts spent
// and the per-audit budget holds across them; the CLI uses the in-memory ledger below.

/** An audit's query account. One query = one row answered by the endpoint (cache hits are free). */
export interface QueryLedger {
  /** Queries this audit already spent, earlier attempts included. Read once before the first request. */
  spent(): Promise<number>;
  /**
   * Records `queries` more spent (called once per request the endpoint answered, before its answer is used). The
   * promise resolves once the spending is durable; a rejection ends the audit (TARGET_FAILED) rather than
   * letting it query unrecorded.
   */
  record(queries: number): Promise<void>;
}

/** The CLI's ledger: one process, one audit, nothing to resume. */
export class InMemoryQueryLedger implements QueryLedger {
  private total: number;

  constructor(alreadySpent = 0) {
    this.total = alreadySpent;
  }

  spent(): Promise<number> {
    return Promise.resolve(this.total);
  }

  record(queries: number): Promise<void> {
    this.total += queries;
    return Promise.resolve();
  }
}
