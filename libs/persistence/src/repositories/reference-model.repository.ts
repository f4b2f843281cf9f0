/**
 * Trained reference models, stored once per engine cache key and shared by every audit and worker. The
 * bytes are the engine's encoded weights (reference-model-store.ts); the repository does not read them.
 */
export abstract class ReferenceModelRepository {
  abstract find(cacheKey: string): Promise<Buffer | null>;
  /** Stores the model unless its key is already there; true when this call inserted it. */
  abstract putIfAbsent(cacheKey: string, weights: Buffer): Promise<boolean>;
  /** Which of these keys are stored. */
  abstract storedKeys(cacheKeys: readonly string[]): Promise<Set<string>>;
  /**
   * Runs `train` while holding the training claim on this key (a Postgres session advisory lock on a connection of
   * its own, released when `train` settles or the holder's connection dies with its worker), so one model is
   * trained by one job at a time, across audits and workers. `{ claimed: false }` at once when another job holds it.
   */
  abstract withTrainingClaim<T>(
    cacheKey: string,
    train: () => Promise<T>,
  ): Promise<{ claimed: true; value: T } | { claimed: false }>;
}
