import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_TENANT_ID } from '../libs/persistence/src/tenancy/tenant-context';
import { grantTenantRole, makeTenantOwned, tenantRoleName, undoTenantOwned } from './tenancy';

// Tenants (issue 12), enforced by Postgres row-level security (docs/security.md, "Tenants"). Every row that holds a
// tenant's data carries tenant_id; the api and the worker run their tenant-scoped queries as the tenant role
// (DATABASE_TENANT_ROLE, default privaudit_app: NOLOGIN, no BYPASSRLS) with app.tenant_id set, so Postgres itself
// shows and accepts only that tenant's rows. Existing rows go to the default tenant created here, which the
// installation's bootstrap admin key belongs to.
//
// Tenant-owned: models, model_versions, datasets, audits, findings, audit_artifacts, audit_plans, reference_models, api_keys,
// access_log, notification_subscriptions, notification_deliveries. Installation-wide: tenants (a tenant reads only its own row), webhook_deliveries (replay keys of
// deliveries signed with the installation's webhook secret; no tenant data), typeorm_migrations.
const TENANT_OWNED: ReadonlyArray<[string, Parameters<typeof makeTenantOwned>[2]]> = [
  ['models', {}],
  ['model_versions', { parents: [{ column: 'model_id', table: 'models' }] }],
  ['datasets', {}],
  [
    'audits',
    {
      parents: [
        { column: 'model_version_id', table: 'model_versions' },
        { column: 'members_dataset_id', table: 'datasets' },
        { column: 'non_members_dataset_id', table: 'datasets' },
        { column: 'population_dataset_id', table: 'datasets' },
      ],
    },
  ],
  ['findings', { parents: [{ column: 'audit_id', table: 'audits' }] }],
  // An audit's files (1764160000000-audit-attack-options-and-artifacts, which runs before this one).
  ['audit_artifacts', { idColumn: null, parents: [{ column: 'audit_id', table: 'audits' }] }],
  ['audit_plans', { idColumn: null, parents: [{ column: 'model_id', table: 'models' }] }],
  ['reference_models', { idColumn: null }],
  ['api_keys', { parents: [{ column: 'rotated_to', table: 'api_keys' }] }],
  ['access_log', { idColumn: null }],
  // Outbound notifications (1764170000000): a model's subscriptions and their delivery log.
  ['notification_subscriptions', { parents: [{ column: 'model_id', table: 'models' }] }],
  [
    'notification_deliveries',
    {
      parents: [
        { column: 'subscription_id', table: 'notification_subscriptions' },
        { column: 'audit_id', table: 'audits' },
      ],
    },
  ],
];

export class Tenants1764190000000 implements MigrationInterface {
  name = 'Tenants1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION current_tenant_id() RETURNS uuid LANGUAGE sql STABLE
      AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$`);
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CONSTRAINT tenants_name_unique UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
        reference_seconds_per_month real CHECK (reference_seconds_per_month IS NULL OR reference_seconds_per_month > 0),
        queries_per_month integer CHECK (queries_per_month IS NULL OR queries_per_month > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO tenants (id, name) VALUES ($1, 'default')`, [DEFAULT_TENANT_ID]);
    await q.query(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE tenants FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON tenants USING (id = current_tenant_id())`);
    await q.query(`CREATE POLICY installation_access ON tenants TO CURRENT_USER USING (true) WITH CHECK (true)`);

    for (const [table, opts] of TENANT_OWNED) await makeTenantOwned(q, table, opts);
    // A reference model is a tenant's: the same data in two tenants trains two (no cross-tenant cache hit to time).
    await q.query(`ALTER TABLE reference_models DROP CONSTRAINT reference_models_pkey`);
    await q.query(`ALTER TABLE reference_models ADD PRIMARY KEY (tenant_id, cache_key)`);
    // POST /tenants: the installation's admin (the bootstrap key) creates tenants; a tenant's admins cannot.
    await q.query(`ALTER TABLE api_keys ADD COLUMN installation_admin boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX audits_tenant_created ON audits (tenant_id, created_at)`);

    await grantTenantRole(q);
  }

  async down(q: QueryRunner): Promise<void> {
    const role = tenantRoleName();
    await q.query(`DROP INDEX audits_tenant_created`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN installation_admin`);
    await q.query(`ALTER TABLE reference_models DROP CONSTRAINT reference_models_pkey`);
    // Down keeps one row per cache key (the default tenant's first), as before tenants.
    await q.query(
      `DELETE FROM reference_models r USING reference_models o WHERE r.cache_key = o.cache_key AND r.ctid > o.ctid`,
    );
    await q.query(`ALTER TABLE reference_models ADD PRIMARY KEY (cache_key)`);
    for (const [table] of [...TENANT_OWNED].reverse()) await undoTenantOwned(q, table);
    await q.query(`DROP TABLE tenants`);
    await q.query(`DROP FUNCTION current_tenant_id()`);
    // The role is cluster-wide (other schemas may use it): only this schema's grants go.
    await q.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
          EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM ${role}', current_schema());
          EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM ${role}', current_schema());
          EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM ${role}', current_schema());
          EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM ${role}', current_schema());
          EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM ${role}', current_schema());
        END IF;
      END $$`);
  }
}
