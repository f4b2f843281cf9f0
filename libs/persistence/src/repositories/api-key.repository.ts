import type { ApiKeyRecord, ApiKeyRole } from '../records';

export interface NewApiKey {
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly prefix: string;
  readonly hash: string;
  readonly expiresAt?: Date | null;
}

/** Stored API keys. Abstract class = injection token; the TypeORM class is one implementation. */
export abstract class ApiKeyRepository {
  abstract create(input: NewApiKey): Promise<ApiKeyRecord>;
  /** A key that is neither revoked nor expired, by its clear prefix, in any tenant (authentication). */
  abstract findActiveByPrefix(prefix: string): Promise<ApiKeyRecord | null>;
  /**
   * As findActiveByPrefix, with the seconds left until the key expires by the database's clock (null: no expiry),
   * so that a cache of authenticated keys ends each entry when the database would start refusing the key.
   */
  abstract findActiveForAuthentication(
    prefix: string,
  ): Promise<{ record: ApiKeyRecord; secondsToExpiry: number | null } | null>;
  abstract findById(id: string): Promise<ApiKeyRecord | null>;
  /** Every key, newest first (hashes included: callers must not return them). */
  abstract list(): Promise<ApiKeyRecord[]>;
  /** Revokes a key now; resolves with it, or null when there is no such key. Idempotent. */
  abstract revoke(id: string): Promise<ApiKeyRecord | null>;
  /**
   * Creates `replacement` and ends `id` `overlapSeconds` from now by the database's clock (the one that checks
   * expiry: an api host whose clock is off cannot end the overlap early or late), never later than it would have
   * expired anyway, in one transaction; null when `id` is not an active key.
   */
  abstract rotate(id: string, replacement: NewApiKey, overlapSeconds: number): Promise<ApiKeyRecord | null>;
  /** Active admin keys other than `exceptId` (never lock every admin out). */
  abstract countOtherActiveAdmins(exceptId: string): Promise<number>;
  /** Installation-wide (authentication bookkeeping). */
  abstract touch(id: string, at: Date): Promise<void>;
  /** Installation-wide: the configured bootstrap key is the installation's admin (POST /tenants). */
  abstract markInstallationAdmin(id: string): Promise<void>;
}
