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
  abstract findById(id: string): Promise<ApiKeyRecord | null>;
  /** Every key, newest first (hashes included: callers must not return them). */
  abstract list(): Promise<ApiKeyRecord[]>;
  /** Revokes a key now; resolves with it, or null when there is no such key. Idempotent. */
  abstract revoke(id: string): Promise<ApiKeyRecord | null>;
  /**
   * Creates `replacement` and ends `id` at `oldExpiresAt` (the overlap), in one transaction; null when `id` is
   * not an active key.
   */
  abstract rotate(id: string, replacement: NewApiKey, oldExpiresAt: Date): Promise<ApiKeyRecord | null>;
  /** Active admin keys other than `exceptId` (never lock every admin out). */
  abstract countOtherActiveAdmins(exceptId: string): Promise<number>;
  /** Installation-wide (authentication bookkeeping). */
  abstract touch(id: string, at: Date): Promise<void>;
  /** Installation-wide: the configured bootstrap key is the installation's admin (POST /tenants). */
  abstract markInstallationAdmin(id: string): Promise<void>;
}
