import { QueryFailedError } from 'typeorm';
import type { TenantRecord } from '../records';
import type { NewApiKey } from '../repositories/api-key.repository';
import { TenantNameTakenError, TenantRepository } from '../repositories/tenant.repository';
import type { TenantDb } from '../tenancy/tenant-db';

interface TenantRow {
  id: string;
  name: string;
  reference_seconds_per_month: number | null;
  queries_per_month: number | null;
  created_at: Date;
}

const COLUMNS = 'id, name, reference_seconds_per_month, queries_per_month, created_at';

export class TypeOrmTenantRepository extends TenantRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async createWithAdminKey(
    input: { name: string; referenceSecondsPerMonth: number | null; queriesPerMonth: number | null },
    adminKey: NewApiKey,
  ): Promise<{ tenant: TenantRecord; keyId: string }> {
    try {
      return await this.db.installation.transaction(async (em) => {
        const [row] = (await em.query(
          `INSERT INTO tenants (name, reference_seconds_per_month, queries_per_month) VALUES ($1, $2, $3)
           RETURNING ${COLUMNS}`,
          [input.name, input.referenceSecondsPerMonth, input.queriesPerMonth],
        )) as TenantRow[];
        const tenant = toRecord(row!);
        // The key goes in as the new tenant, under its role: the tenant's policy, not the installation's, admits it.
        await em.query(`SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true)`, [
          this.db.role,
          tenant.id,
        ]);
        const [key] = (await em.query(
          `INSERT INTO api_keys (name, role, prefix, hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [adminKey.name, adminKey.role, adminKey.prefix, adminKey.hash, adminKey.expiresAt ?? null],
        )) as Array<{ id: string }>;
        return { tenant, keyId: key!.id };
      });
    } catch (e) {
      const code = (e as QueryFailedError & { driverError?: { constraint?: string } }).driverError?.constraint;
      if (e instanceof QueryFailedError && code === 'tenants_name_unique') throw new TenantNameTakenError();
      throw e;
    }
  }

  async current(): Promise<TenantRecord | null> {
    const rows: TenantRow[] = await this.db.query(`SELECT ${COLUMNS} FROM tenants WHERE id = current_tenant_id()`);
    return rows[0] ? toRecord(rows[0]) : null;
  }
}

function toRecord(r: TenantRow): TenantRecord {
  return {
    id: r.id,
    name: r.name,
    referenceSecondsPerMonth: r.reference_seconds_per_month,
    queriesPerMonth: r.queries_per_month,
    createdAt: r.created_at,
  };
}
