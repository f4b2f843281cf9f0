/**
 * Content-addressed storage of uploaded model and dataset bytes, keyed by sha256. Abstract class = the
 * injection token, so a service can be tested with another store and an object store can replace the disk.
 */
export abstract class BlobStore {
  /** Moves a finished temp file into the store under its sha256 (idempotent: same bytes, same blob). */
  abstract adopt(tempPath: string, sha256: string): Promise<void>;
  /** A local path a child process can read the blob from. */
  abstract localPath(sha256: string): string;
  abstract exists(sha256: string): Promise<boolean>;
  /** Removes a blob (deletion); true when it was there. */
  abstract remove(sha256: string): Promise<boolean>;
  /** Where uploads are streamed to before they are validated and adopted. */
  abstract tempDir(): string;
  /** Every stored blob with its last modification (the file system's clock), in no particular order. */
  abstract list(): AsyncIterable<{ readonly sha256: string; readonly modifiedMs: number }>;
  /** "Now" by the clock that stamps the blobs' modification times (compare list()'s modifiedMs with it). */
  abstract now(): Promise<number>;
  /** Removes temp uploads untouched for olderThanMs (left by a crash); resolves with how many. */
  abstract removeStaleTemp(olderThanMs: number): Promise<number>;
}
