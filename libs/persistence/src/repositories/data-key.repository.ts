/** A data key as stored: wrapped by a master key, or destroyed (crypto-shredded). */
export interface StoredDataKey {
  readonly id: string;
  /** null once destroyed. */
  readonly wrappedKey: Buffer | null;
  readonly masterKeyId: string;
  readonly createdAt: Date;
  readonly destroyedAt: Date | null;
}

/** Per-dataset data keys, only ever stored wrapped (encryption/master-keyring.ts). */
export abstract class DataKeyRepository {
  abstract create(input: { id: string; wrappedKey: Buffer; masterKeyId: string }): Promise<void>;
  abstract find(id: string): Promise<StoredDataKey | null>;
  /** Keys still wrapped under another master key than `masterKeyId` (a rotation's work list), oldest first. */
  abstract listWrappedUnderOther(masterKeyId: string, limit: number): Promise<StoredDataKey[]>;
  /** Replaces a key's wrapping (rotation); false when the key was destroyed or re-wrapped meanwhile. */
  abstract rewrap(id: string, from: string, to: { wrappedKey: Buffer; masterKeyId: string }): Promise<boolean>;
}
