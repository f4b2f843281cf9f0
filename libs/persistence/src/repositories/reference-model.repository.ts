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
}
