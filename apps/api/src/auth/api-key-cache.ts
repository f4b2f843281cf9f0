// A short-lived cache of authenticated API keys, so that a busy client's requests do not each look their key up in
// Postgres. What keeps it safe:
// - only keys that authenticated are cached, keyed by the sha256 of the presented key (never the key itself);
// - a revocation or rotation through the api moves the key-change epoch in Redis (ApiKeyEpoch) before it answers,
//   and every cached answer is bound to the epoch read before its lookup and checked against the epoch read for the
//   request: a replica refuses a revoked key at once, whatever the timing of the notification below;
// - every change of api_keys (revocation, rotation, expiry moved, deletion, also by hand in SQL) drops the whole
//   cache on every replica as it commits (ApiKeyChanges: Postgres NOTIFY), and the replica that made the change
//   drops it itself first;
// - while the epoch cannot be read, nothing is read from or written to the cache;
// - while that channel is not provably up, nothing is read from or written to the cache;
// - a lookup that started before a drop cannot refill the cache with what it read (the generation check);
// - an entry never outlives its key: it ends at the key's expiry, measured against the database's clock when it
//   was read and counted from before the query was sent (so it ends early rather than late), or after ttlMs.
import type { AuthenticatedCaller } from './api-key.service';

/** What a lookup must hand back to put(): when it started, and whether a drop happened since. */
export interface ApiKeyLookup {
  readonly generation: number;
  readonly startedAt: number;
  /** The key-change epoch read before the lookup (null: unreadable, so its answer is not cached). */
  readonly epoch: string | null;
}

/** Entries beyond this are not kept (the cache is dropped and starts again): memory stays bounded. */
const MAX_ENTRIES = 10_000;

export class ApiKeyCache {
  private readonly entries = new Map<string, { caller: AuthenticatedCaller; validUntil: number; epoch: string }>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly isLive: () => boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * The caller of a key authenticated recently and unchanged since, or null (then look it up). `epoch`: the
   * key-change epoch read for this request (null when it could not be read: nothing cached is trusted then).
   */
  get(keyHash: string, epoch: string | null): AuthenticatedCaller | null {
    if (this.ttlMs <= 0 || epoch === null) return null;
    if (!this.isLive()) {
      // Changes may have gone unheard: nothing cached so far may be trusted again.
      if (this.entries.size > 0) this.invalidate();
      return null;
    }
    const entry = this.entries.get(keyHash);
    if (!entry) return null;
    if (entry.epoch !== epoch || entry.validUntil <= this.clock()) {
      this.entries.delete(keyHash);
      return null;
    }
    return entry.caller;
  }

  /** Call before the database lookup whose result may be put(), with the epoch read before it. */
  beginLookup(epoch: string | null): ApiKeyLookup {
    return { generation: this.generation, startedAt: this.clock(), epoch };
  }

  /**
   * Remembers an authenticated key. `secondsToExpiry`: the key's expires_at minus the database's now() at the lookup
   * (null: no expiry).
   */
  put(lookup: ApiKeyLookup, keyHash: string, caller: AuthenticatedCaller, secondsToExpiry: number | null): void {
    if (this.ttlMs <= 0 || lookup.epoch === null || !this.isLive() || lookup.generation !== this.generation) return;
    const lifetime = secondsToExpiry === null ? this.ttlMs : Math.min(this.ttlMs, secondsToExpiry * 1000);
    const validUntil = lookup.startedAt + lifetime;
    if (validUntil <= this.clock()) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(keyHash, { caller, validUntil, epoch: lookup.epoch });
  }

  /** Forgets everything, including what lookups now in flight read. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }
}
