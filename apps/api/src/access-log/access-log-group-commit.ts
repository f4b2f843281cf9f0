// Group commit of access-log entries. Each request still waits until its own entry is committed before its response
// leaves, and fails if that entry cannot be written (docs/security.md, "Keys, roles and the access log"); what
// changes is that entries of concurrent requests of one tenant share one multi-row INSERT and one transaction
// instead of one each. No timer adds latency: an entry waits only for the end of the current event-loop turn, or for
// the tenant's write already in flight, and then goes with every entry that arrived meanwhile.
import type { AccessLogEntry } from '../../../../libs/persistence/src/repositories/access-log.repository';

/** Writes one tenant's entries in one transaction: all of them or none. */
export type AccessLogBatchWriter = (tenantId: string, entries: readonly AccessLogEntry[]) => Promise<void>;

interface Waiting {
  readonly entry: AccessLogEntry;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** At most this many entries per INSERT (8 parameters each, far below Postgres's 65,535). */
export const ACCESS_LOG_MAX_BATCH = 256;

export class AccessLogGroupCommit {
  /** Per tenant: entries not yet handed to a write. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** Tenants with a write scheduled or in flight (one at a time per tenant). */
  private readonly busy = new Set<string>();

  constructor(
    private readonly write: AccessLogBatchWriter,
    private readonly maxBatch = ACCESS_LOG_MAX_BATCH,
  ) {}

  /** Resolves once `entry` is committed; rejects with the write's error if it could not be. */
  append(tenantId: string, entry: AccessLogEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(tenantId);
      if (queue) queue.push({ entry, resolve, reject });
      else this.waiting.set(tenantId, [{ entry, resolve, reject }]);
      if (!this.busy.has(tenantId)) {
        this.busy.add(tenantId);
        // The end of this event-loop turn: requests finishing in the same turn join the same INSERT.
        setImmediate(() => void this.drain(tenantId));
      }
    });
  }

  /** Writes the tenant's waiting entries, batch after batch, until none is left. */
  private async drain(tenantId: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(tenantId);
      if (!queue || queue.length === 0) {
        this.waiting.delete(tenantId);
        this.busy.delete(tenantId);
        return;
      }
      const batch = queue.splice(0, this.maxBatch);
      await this.writeBatch(tenantId, batch);
    }
  }

  private async writeBatch(tenantId: string, batch: Waiting[]): Promise<void> {
    try {
      await this.write(
        tenantId,
        batch.map((w) => w.entry),
      );
      for (const w of batch) w.resolve();
    } catch (e) {
      if (batch.length === 1 || !isEntryError(e)) {
        for (const w of batch) w.reject(e);
        return;
      }
      // One entry Postgres refuses (a data or constraint error) must fail its own request only: each is retried
      // alone. Any other failure (connection, timeout) fails the whole batch at once, as it would fail each entry.
      for (const w of batch) {
        try {
          await this.write(tenantId, [w.entry]);
          w.resolve();
        } catch (single) {
          w.reject(single);
        }
      }
    }
  }
}

/** A Postgres data exception (SQLSTATE class 22) or integrity constraint violation (23): about one entry's values. */
function isEntryError(e: unknown): boolean {
  const code =
    (e as { code?: unknown; driverError?: { code?: unknown } } | null)?.driverError?.code ??
    (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
