/** A tenant's pseudonym key as stored: the data key holding it (wrapped), and its public id. Never the key. */
export interface PseudonymKeyRecord {
  readonly id: string;
  /** The data key (data_keys) the key is stored as, wrapped by the master key. */
  readonly dataKeyId: string;
  /** "psk_" + 16 hex digits of a hash of the key: what reports name (engine data/row-id-pseudonyms.ts). */
  readonly keyId: string;
  /** Audits that do not say pseudonymise their row ids when this is true. */
  readonly pseudonymizeByDefault: boolean;
  /** The API key that set it (null: unknown, e.g. an OIDC token). */
  readonly createdBy: string | null;
  readonly createdAt: Date;
}

export interface NewPseudonymKey {
  readonly id: string;
  readonly dataKeyId: string;
  readonly keyId: string;
  readonly pseudonymizeByDefault: boolean;
  readonly createdBy: string | null;
}

/** The current tenant's pseudonym key (at most one; row-level security). */
export abstract class PseudonymKeyRepository {
  abstract current(): Promise<PseudonymKeyRecord | null>;
  /**
   * Makes `next` the tenant's key in one transaction: the previous key's row is deleted and its data key destroyed
   * (crypto-shredded), so nothing can compute its pseudonyms any more. Resolves with the previous key, if any.
   */
  abstract replace(next: NewPseudonymKey): Promise<PseudonymKeyRecord | null>;
  /** Changes the default of the current key; null when the tenant has none. */
  abstract setDefault(pseudonymizeByDefault: boolean): Promise<PseudonymKeyRecord | null>;
  /** Removes the tenant's key and destroys its data key; the removed key, or null when there was none. */
  abstract remove(): Promise<PseudonymKeyRecord | null>;
}
