// The pattern for tenant-owned tables (docs/ARCHITECTURE.md, "Tenants"). A migration that creates a table holding
// a tenant's data calls makeTenantOwned(q, 'the_table') after CREATE TABLE (and grantTenantRole(q) if it is the first
// migration of a schema to need the role). That gives the table:
// - tenant_id uuid NOT NULL, defaulting to the transaction's tenant (current_tenant_id(), from app.tenant_id), so
//   INSERTs need not name it, and an INSERT outside a tenant fails (NOT NULL) instead of landing nowhere;
// - UNIQUE (tenant_id, id), so children can reference (tenant_id, parent_id) and never point into another tenant;
// - row-level security, FORCEd: the policy tenant_isolation admits only rows of current_tenant_id() (reads, and
//   writes through WITH CHECK); installation_access admits the role that ran the migrations (the connection's own
//   role, for installation-wide work; a superuser bypasses RLS anyway). The tenant role (privaudit_app) is neither.
import type { QueryRunner } from 'typeorm';
import { DEFAULT_TENANT_ID } from '../libs/persistence/src/tenancy/tenant-context';
import { DEFAULT_TENANT_ROLE, TENANT_ROLE_PATTERN } from '../libs/persistence/src/tenancy/tenant-db';

/** The role tenant-scoped transactions run as: DATABASE_TENANT_ROLE, default privaudit_app. */
export function tenantRoleName(): string {
  const role = process.env.DATABASE_TENANT_ROLE || DEFAULT_TENANT_ROLE;
  if (!TENANT_ROLE_PATTERN.test(role)) throw new Error('DATABASE_TENANT_ROLE must be a lower-case SQL identifier');
  return role;
}

/**
 * Creates the tenant role unless it exists (roles are cluster-wide: once for every schema; two schemas migrating at
 * once race, and the loser's duplicate is ignored), lets the migrating role SET ROLE to it, and grants it the
 * schema's tables and sequences, now and by default later. Idempotent.
 */
export async function grantTenantRole(q: QueryRunner): Promise<void> {
  const role = tenantRoleName();
  await q.query(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
        BEGIN
          CREATE ROLE ${role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END IF;
      IF NOT pg_has_role(current_user, '${role}', 'MEMBER') THEN
        BEGIN
          EXECUTE format('GRANT ${role} TO %I', current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END IF;
    END $$`);
  await q.query(`
    DO $$
    BEGIN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${role}', current_schema());
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO ${role}', current_schema());
      EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO ${role}', current_schema());
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}', current_schema());
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO ${role}', current_schema());
    END $$`);
  // Installation tables the tenant role only reads (its own tenant row) or never touches.
  await q.query(`REVOKE INSERT, UPDATE, DELETE ON tenants FROM ${role}`);
  await q.query(`REVOKE ALL ON typeorm_migrations FROM ${role}`);
}

export interface TenantOwnedOptions {
  /** Name of the primary-key column children reference (default id); null: no (tenant_id, id) key. */
  readonly idColumn?: string | null;
  /** Same-tenant foreign keys: (tenant_id, column) REFERENCES parent (tenant_id, parentColumn). */
  readonly parents?: ReadonlyArray<{ column: string; table: string; parentColumn?: string }>;
  /** Existing rows' tenant (default: the default tenant). */
  readonly existingRowsTenant?: string;
}

/** Adds tenant_id, the same-tenant keys and the RLS policies to `table` (see the header). */
export async function makeTenantOwned(q: QueryRunner, table: string, opts: TenantOwnedOptions = {}): Promise<void> {
  const existing = opts.existingRowsTenant ?? DEFAULT_TENANT_ID;
  // A constant default fills existing rows without rewriting them (and fires no UPDATE trigger); then the default
  // becomes the transaction's tenant.
  await q.query(
    `ALTER TABLE ${table} ADD COLUMN tenant_id uuid NOT NULL DEFAULT '${existing}' CONSTRAINT ${table}_tenant_fk REFERENCES tenants(id)`,
  );
  await q.query(`ALTER TABLE ${table} ALTER COLUMN tenant_id SET DEFAULT current_tenant_id()`);
  await q.query(`CREATE INDEX ${table}_tenant ON ${table} (tenant_id)`);
  const idColumn = opts.idColumn === undefined ? 'id' : opts.idColumn;
  if (idColumn !== null) {
    await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_tenant_id_unique UNIQUE (tenant_id, ${idColumn})`);
  }
  for (const p of opts.parents ?? []) {
    await q.query(
      `ALTER TABLE ${table} ADD CONSTRAINT ${table}_${p.column}_same_tenant FOREIGN KEY (tenant_id, ${p.column})
         REFERENCES ${p.table} (tenant_id, ${p.parentColumn ?? 'id'})`,
    );
  }
  await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  await q.query(
    `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id())`,
  );
  await q.query(`CREATE POLICY installation_access ON ${table} TO CURRENT_USER USING (true) WITH CHECK (true)`);
}

/** Reverses makeTenantOwned (the column's drop takes its keys and index with it). */
export async function undoTenantOwned(q: QueryRunner, table: string): Promise<void> {
  await q.query(`DROP POLICY IF EXISTS installation_access ON ${table}`);
  await q.query(`DROP POLICY IF EXISTS tenant_isolation ON ${table}`);
  await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE ${table} DROP COLUMN tenant_id CASCADE`);
}
