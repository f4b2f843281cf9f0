import type { TenantRecord } from '../records';
import type { NewApiKey } from './api-key.repository';

export class TenantNameTakenError extends Error {
  constructor() {
    super('a tenant with this name exists');
    this.name = 'TenantNameTakenError';
  }
}

/** Tenants. Creating one is installation-wide work (POST /tenants); reading is the current tenant's own row. */
export abstract class TenantRepository {
  /**
   * Creates a tenant and its first admin key in one transaction (the key is inserted as the new tenant, so RLS
   * checks it lands there). Throws TenantNameTakenError for a duplicate name.
   */
  abstract createWithAdminKey(
    input: {
      name: string;
      referenceSecondsPerMonth: number | null;
      queriesPerMonth: number | null;
      retentionDays?: number | null;
    },
    adminKey: NewApiKey,
  ): Promise<{ tenant: TenantRecord; keyId: string }>;
  /** The current tenant's row (null outside a tenant). */
  abstract current(): Promise<TenantRecord | null>;
  /** Sets the current tenant's own retention period (null: the installation's default); its updated row. */
  abstract setRetentionDays(days: number | null): Promise<TenantRecord | null>;
  /** Installation-wide: every tenant's id and own retention period (the purge's work list). */
  abstract listRetention(): Promise<Array<{ id: string; retentionDays: number | null }>>;
}
