/**
 * Trained reference models, stored once per engine cache key and shared by every audit and worker. The
 * bytes are the engine's encoded weights (reference-model-store.ts); the repository does not read them.
 */
export abstract class ReferenceModelRepository {
  /** The stored bytes, and the data key they are sealed under (null: stored in clear before encryption at rest). */
  abstract find(cacheKey: string): Promise<{ weights: Buffer; keyId: string | null } | null>;
  /**
   * Stores the model unless its key is already there; true when this call inserted it. `sealing.sources`: the
   * datasets it was derived from (deleting one of them deletes it).
   */
  abstract putIfAbsent(
    cacheKey: string,
    weights: Buffer,
    sealing?: { readonly keyId: string | null; readonly sources: readonly string[] },
  ): Promise<boolean>;
  /** Which of these keys are stored. */
  abstract storedKeys(cacheKeys: readonly string[]): Promise<Set<string>>;
  /**
   * Runs `train` while holding the training claim on this key: a lease of `leaseMs` in Postgres
   * (reference_model_claims), renewed while `train` runs and released when it settles, so one model is trained by
   * one job at a time across audits and workers. A holder that dies or freezes stops renewing; its claim can be
   * taken over once the lease has run out. `{ claimed: false }` at once when another holder's lease is live.
   */
  abstract withTrainingClaim<T>(
    cacheKey: string,
    leaseMs: number,
    train: () => Promise<T>,
  ): Promise<{ claimed: true; value: T } | { claimed: false }>;
}
