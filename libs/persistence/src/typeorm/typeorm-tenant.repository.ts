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
  retention_days: number | null;
}

const COLUMNS = 'id, name, reference_seconds_per_month, queries_per_month, created_at, retention_days';

export class TypeOrmTenantRepository extends TenantRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async createWithAdminKey(
    input: {
      name: string;
      referenceSecondsPerMonth: number | null;
      queriesPerMonth: number | null;
      retentionDays?: number | null;
    },
    adminKey: NewApiKey,
  ): Promise<{ tenant: TenantRecord; keyId: string }> {
    try {
      return await this.db.installation.transaction(async (em) => {
        const [row] = (await em.query(
          `INSERT INTO tenants (name, reference_seconds_per_month, queries_per_month) VALUES ($1, $2, $3)
           RETURNING ${COLUMNS}`,
          [input.name, input.referenceSecondsPerMonth, input.queriesPerMonth],
        )) as TenantRow[];
        let tenant = toRecord(row!);
        if (input.retentionDays != null) {
          const [updated] = (await em.query(
            `UPDATE tenants SET retention_days = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
            [tenant.id, input.retentionDays],
          )) as [TenantRow[], number];
          tenant = toRecord(updated[0]!);
        }
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

  async setRetentionDays(days: number | null): Promise<TenantRecord | null> {
    // The tenant role only reads tenants: the installation connection writes the current tenant's own row.
    const tenantId = await this.currentTenantId();
    if (tenantId === null) return null;
    const [rows] = (await this.db.installation.query(
      `UPDATE tenants SET retention_days = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [tenantId, days],
    )) as [TenantRow[], number];
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listRetention(): Promise<Array<{ id: string; retentionDays: number | null }>> {
    const rows: Array<{ id: string; retention_days: number | null }> = await this.db.installation.query(
      `SELECT id, retention_days FROM tenants ORDER BY created_at, id`,
    );
    return rows.map((r) => ({ id: r.id, retentionDays: r.retention_days }));
  }

  private async currentTenantId(): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.db.query(`SELECT id FROM tenants WHERE id = current_tenant_id()`);
    return rows[0]?.id ?? null;
  }
}

function toRecord(r: TenantRow): TenantRecord {
  return {
    id: r.id,
    name: r.name,
    referenceSecondsPerMonth: r.reference_seconds_per_month,
    queriesPerMonth: r.queries_per_month,
    createdAt: r.created_at,
    retentionDays: r.retention_days,
  };
}
