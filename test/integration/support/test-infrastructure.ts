import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { openDataSource } from '../../../libs/persistence/src/data-source-options';
import { DEFAULT_TENANT_ROLE, TenantDb } from '../../../libs/persistence/src/tenancy/tenant-db';
import { openTenantLogin } from '../../../libs/persistence/src/tenancy/tenant-login';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * PRIVAUDIT_TEST_TENANT_LOGIN=1 (scripts/test.sh's second pass): suites run their tenant transactions on a login
 * role of their own (DATABASE_TENANT_URL), as docker-compose deploys, instead of the installation's connection.
 */
export const TENANT_LOGIN_BY_DEFAULT = process.env.PRIVAUDIT_TEST_TENANT_LOGIN === '1';

export interface TenantLogin {
  /** The role's name (cluster-wide, unique per call). */
  readonly role: string;
  /** DATABASE_URL logged in as that role instead. */
  readonly url: string;
  /** Drops the role (close its connections first). */
  drop(): Promise<void>;
}

/** Runs `sql` on a short-lived connection of DATABASE_URL (a superuser in tests). */
async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A LOGIN role that is a member of the tenant role and nothing more, as scripts/sql/tenant-login.sql makes for
 * docker-compose. Roles are cluster-wide: the name is unique per call, and drop() removes it. `attributes` adds role
 * attributes (the refusal tests give it BYPASSRLS, CREATEROLE...); `memberOfTenantRole: false` leaves it out.
 */
export async function createTenantLogin(
  label: string,
  opts: { attributes?: string; memberOfTenantRole?: boolean; tenantRole?: string } = {},
): Promise<TenantLogin> {
  const role = `t_login_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const tenantRole = opts.tenantRole ?? DEFAULT_TENANT_ROLE;
  const password = randomBytes(18).toString('hex');
  // The tenant role as the migration creates it, in case no schema of this cluster has been migrated yet.
  await asAdmin(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${tenantRole}') THEN
        BEGIN
          CREATE ROLE ${tenantRole} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END IF;
    END $$`);
  const attributes = opts.attributes ?? '';
  await asAdmin(
    `CREATE ROLE ${role} ${/NOLOGIN/.test(attributes) ? '' : 'LOGIN'} ${attributes} PASSWORD '${password}'`,
  );
  if (opts.memberOfTenantRole !== false) await asAdmin(`GRANT ${tenantRole} TO ${role}`);
  const url = new URL(DATABASE_URL);
  url.username = role;
  url.password = password;
  return {
    role,
    url: url.toString(),
    drop: async () => {
      // Whatever a test made it own or granted it goes first (DROP ROLE refuses a role that still owns something).
      await asAdmin(`DROP OWNED BY ${role} CASCADE`);
      await asAdmin(`DROP ROLE IF EXISTS ${role}`);
    },
  };
}

export interface TestSchema {
  dataSource: DataSource;
  schema: string;
  /** TenantDb on this schema: on its own login (tenantLogin) when asked, else on dataSource. */
  tenantDb: TenantDb;
  /** The tenant login's connection, when the schema has one. */
  tenantLogin?: DataSource;
  tenantLoginRole?: string;
  drop: () => Promise<void>;
}

/**
 * A fresh Postgres schema per suite, migrated: suites never see each other's rows. With `tenantLogin` (default:
 * PRIVAUDIT_TEST_TENANT_LOGIN=1) tenantDb runs on a login role of its own, as DATABASE_TENANT_URL does.
 */
export async function openTestSchema(label: string, opts: { tenantLogin?: boolean } = {}): Promise<TestSchema> {
  const schema = `t_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const dataSource = await openDataSource({ url: DATABASE_URL, schema }, { runMigrations: true });
  let login: TenantLogin | undefined;
  let tenantLogin: DataSource | undefined;
  if (opts.tenantLogin ?? TENANT_LOGIN_BY_DEFAULT) {
    login = await createTenantLogin(label);
    tenantLogin = await openTenantLogin({ url: login.url, schema, poolSize: 4 }, DEFAULT_TENANT_ROLE, dataSource);
  }
  return {
    dataSource,
    schema,
    tenantDb: new TenantDb(dataSource, DEFAULT_TENANT_ROLE, tenantLogin),
    tenantLogin,
    tenantLoginRole: login?.role,
    drop: async () => {
      if (tenantLogin?.isInitialized) await tenantLogin.destroy();
      await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      await dataSource.destroy();
      await login?.drop();
    },
  };
}

export function uniqueQueuePrefix(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}
