// The optional second connection (DATABASE_TENANT_URL) tenant-scoped transactions run on (docs/security.md,
// "Tenants"). On the installation's connection a tenant transaction only *switches* to the tenant role, and SQL sent
// in it could switch back (RESET ROLE) to the owner of the tables, which sees every tenant. On a connection that
// logs in as the tenant role (or a member of it) there is nothing to switch back to: RESET ROLE lands on the login
// role, which row-level security binds as well. That holds only if the login role can reach no role that escapes
// the policies, so the connection is refused at start-up unless its role (and every role it is a member of) is
// neither superuser, nor BYPASSRLS, nor CREATEROLE, nor the owner of the schema or of anything in it, nor allowed to
// create objects in it.
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, type DatabaseSettings } from '../data-source-options';

/** DATABASE_TENANT_URL cannot serve tenant transactions; the message names the variable, never its value. */
export class TenantLoginRefusedError extends Error {
  constructor(reason: string) {
    super(`DATABASE_TENANT_URL is refused: ${reason} (docs/security.md, "Tenants")`);
    this.name = 'TenantLoginRefusedError';
  }
}

interface LoginRow {
  superuser: boolean;
  bypassrls: boolean;
  createrole: boolean;
  owner: boolean;
  creates: boolean;
  tenant_role_exists: boolean;
  in_tenant_role: boolean | null;
  database: string;
}

/**
 * What the role of `dataSource`'s sessions could become or does own, in `schema`. Every role it is a member of
 * counts (SET ROLE reaches them whether or not it inherits their rights).
 */
async function inspectLogin(dataSource: DataSource, schema: string, tenantRole: string): Promise<LoginRow> {
  const rows: LoginRow[] = await dataSource.query(
    `WITH reachable AS (SELECT r.* FROM pg_roles r WHERE pg_has_role(current_user, r.oid, 'MEMBER'))
     SELECT
       EXISTS (SELECT 1 FROM reachable WHERE rolsuper) AS superuser,
       EXISTS (SELECT 1 FROM reachable WHERE rolbypassrls) AS bypassrls,
       EXISTS (SELECT 1 FROM reachable WHERE rolcreaterole) AS createrole,
       EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $1 AND (
                 n.nspowner IN (SELECT oid FROM reachable)
                 OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relowner IN (SELECT oid FROM reachable))
                 OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid AND p.proowner IN (SELECT oid FROM reachable))
               )) AS owner,
       EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $1 AND has_schema_privilege(current_user, n.oid, 'CREATE'))
         AS creates,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2) AS tenant_role_exists,
       (SELECT pg_has_role(current_user, t.oid, 'MEMBER') FROM pg_roles t WHERE t.rolname = $2) AS in_tenant_role,
       current_database() AS database`,
    [schema, tenantRole],
  );
  return rows[0]!;
}

/**
 * Refuses (TenantLoginRefusedError) a login role that could escape row-level security, or lacks the tenant role, or
 * (given the installation's connection) a login to another database than the installation's.
 */
export async function assertTenantLogin(
  dataSource: DataSource,
  schema: string,
  tenantRole: string,
  installation?: DataSource,
): Promise<void> {
  const login = await inspectLogin(dataSource, schema, tenantRole);
  if (installation) {
    const [own] = (await installation.query(`SELECT current_database() AS database`)) as Array<{ database: string }>;
    if (own?.database !== login.database)
      throw new TenantLoginRefusedError('it names another database than DATABASE_URL');
  }
  const escapes = [
    login.superuser && 'is (or is a member of) a superuser',
    login.bypassrls && 'has (or is a member of a role with) BYPASSRLS',
    login.createrole && 'has (or is a member of a role with) CREATEROLE',
    login.owner && `owns (or is a member of the owner of) the schema ${schema} or objects in it`,
    // Objects it created there would be found by the installation's unqualified names (search_path).
    login.creates &&
      `may CREATE in the schema ${schema} (REVOKE CREATE ON SCHEMA ${schema} FROM PUBLIC: Postgres before 15 grants it)`,
  ].filter((r): r is string => typeof r === 'string');
  if (escapes.length > 0)
    throw new TenantLoginRefusedError(
      `its role ${escapes.join(', ')}, so SQL sent in a tenant's transaction could see every tenant; log in as a role that is only a member of ${tenantRole}`,
    );
  if (!login.tenant_role_exists)
    throw new TenantLoginRefusedError(
      `the tenant role ${tenantRole} (DATABASE_TENANT_ROLE) does not exist yet: run the migrations (the api does at start-up), then grant it to the login role`,
    );
  if (!login.in_tenant_role)
    throw new TenantLoginRefusedError(
      `its role is not a member of ${tenantRole} (DATABASE_TENANT_ROLE): GRANT ${tenantRole} TO <the login role>`,
    );
}

/** Connects DATABASE_TENANT_URL (no migrations: they run on the installation's connection) and checks its role. */
export async function openTenantLogin(
  db: DatabaseSettings,
  tenantRole: string,
  installation?: DataSource,
): Promise<DataSource> {
  const dataSource = new DataSource(buildDataSourceOptions(db));
  try {
    await dataSource.initialize();
  } catch (e) {
    // pg's messages name the user at most, never the password or the URL.
    throw new TenantLoginRefusedError(`cannot connect: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    await assertTenantLogin(dataSource, db.schema, tenantRole, installation);
  } catch (e) {
    await dataSource.destroy();
    throw e;
  }
  return dataSource;
}
