import { MigrationInterface, QueryRunner } from 'typeorm';

// Retention per tenant (issue 12; docs/security.md, "Retention"): tenants.retention_days, the days after which a
// tenant's datasets and finished audits are purged by the scheduled purge (apps/api/src/retention). NULL: the
// installation's default (TENANT_RETENTION_DAYS; unset = kept forever). Additive only: one nullable column on the
// installation-wide tenants table (a tenant reads its own row; the tenant role never writes it).
export class TenantRetention1764201000000 implements MigrationInterface {
  name = 'TenantRetention1764201000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN IF NOT EXISTS retention_days integer`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_retention_days_range`);
    await q.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_retention_days_range
         CHECK (retention_days IS NULL OR retention_days BETWEEN 1 AND 36500)`,
    );
    // The purge looks for old finished audits and old datasets per tenant.
    await q.query(
      `CREATE INDEX IF NOT EXISTS audits_tenant_finished ON audits (tenant_id, finished_at)
         WHERE status IN ('succeeded', 'failed', 'cancelled')`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS datasets_tenant_created ON datasets (tenant_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS datasets_tenant_created`);
    await q.query(`DROP INDEX IF EXISTS audits_tenant_finished`);
    await q.query(`ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_retention_days_range`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS retention_days`);
  }
}
