// The tenant login (DATABASE_TENANT_URL, docs/security.md "Tenants"): tenant transactions on a connection that logs
// in as a member of the tenant role. SQL sent in such a transaction cannot step out of row-level security: RESET ROLE
// lands on the login role, which the policies bind as well, and no SET ROLE reaches a role that sees every tenant.
// On the installation's connection the same RESET ROLE does see every tenant (the limit this login closes). The api
// and the worker refuse, at start-up, a login whose role could escape.
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelSignature } from '../../libs/engine/src/types';
import {
  assertTenantLogin,
  DEFAULT_TENANT_ID,
  DEFAULT_TENANT_ROLE,
  openTenantLogin,
  runInTenant,
  TenantDb,
  TenantLoginRefusedError,
} from '../../libs/persistence/src/tenancy';
import { TypeOrmModelRepository } from '../../libs/persistence/src/typeorm/typeorm-model.repository';
import { TypeOrmTenantRepository } from '../../libs/persistence/src/typeorm/typeorm-tenant.repository';
import { createTenantLogin, DATABASE_URL, openTestSchema, type TestSchema } from './support/test-infrastructure';

const signature: ModelSignature = {
  inputName: 'x',
  nFeatures: 4,
  numClasses: 3,
  outputName: 'y',
  outputKind: 'probabilities',
  opset: 17,
};

describe('tenant transactions on their own login (DATABASE_TENANT_URL)', () => {
  let s: TestSchema;
  let tenantLogin: DataSource;
  let db: TenantDb;
  let tenantB: string;
  const A = DEFAULT_TENANT_ID;
  const models: Record<string, string> = {};

  beforeAll(async () => {
    s = await openTestSchema('tlogin', { tenantLogin: true });
    tenantLogin = s.tenantLogin!;
    db = s.tenantDb;
    ({
      tenant: { id: tenantB },
    } = await new TypeOrmTenantRepository(db).createWithAdminKey(
      { name: 'tenant b', referenceSecondsPerMonth: null, queriesPerMonth: null },
      { name: 'b admin', role: 'admin' as never, prefix: 'pa_bbbbbbbbb', hash: 'f'.repeat(64) },
    ));
    for (const t of [A, tenantB]) {
      const repo = new TypeOrmModelRepository(db);
      const model = await runInTenant(t, () => repo.createModel({ name: `model of ${t}`, description: null }));
      await runInTenant(t, () =>
        repo.addVersion({ modelId: model.id, sha256: 'a'.repeat(64), sizeBytes: 1, signature }),
      );
      models[t] = model.id;
    }
  });
  afterAll(async () => s.drop());

  /** Runs `fn` in tenant A's transaction, as TenantDb opens it. */
  const inA = <T>(fn: (em: EntityManager) => Promise<T>) => runInTenant(A, () => db.run(fn));

  it('opens tenant transactions on the login, whose role is not the owner of the tables', async () => {
    const [who] = await inA((em) => em.query(`SELECT session_user AS login, current_user AS role`));
    expect(who).toEqual({ login: s.tenantLoginRole, role: DEFAULT_TENANT_ROLE });
    const [owner] = await s.dataSource.query(
      `SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'models'`,
      [s.schema],
    );
    expect(owner.tableowner).not.toBe(s.tenantLoginRole);
  });

  it('RESET ROLE inside a tenant transaction still sees only that tenant', async () => {
    const seen = await inA(async (em) => {
      await em.query(`RESET ROLE`);
      const [who] = await em.query(`SELECT current_user AS role`);
      const rows: Array<{ id: string }> = await em.query(`SELECT id FROM models`);
      const versions: Array<{ tenant_id: string }> = await em.query(`SELECT DISTINCT tenant_id FROM model_versions`);
      return { role: who.role, models: rows.map((r) => r.id), versionTenants: versions.map((v) => v.tenant_id) };
    });
    expect(seen).toEqual({ role: s.tenantLoginRole, models: [models[A]], versionTenants: [A] });
    // And B's rows cannot be written from there either.
    await expect(
      inA(async (em) => {
        await em.query(`RESET ROLE`);
        await em.query(`INSERT INTO models (name, tenant_id) VALUES ('smuggled', $1)`, [tenantB]);
      }),
    ).rejects.toThrow(/row-level security/);
  });

  it('no SET ROLE or SET SESSION AUTHORIZATION reaches a role that sees every tenant', async () => {
    const [owner] = await s.dataSource.query(
      `SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'models'`,
      [s.schema],
    );
    for (const target of ['postgres', owner.tableowner as string]) {
      await expect(inA((em) => em.query(`SET ROLE "${target}"`))).rejects.toThrow(/permission denied/);
      await expect(inA((em) => em.query(`SET SESSION AUTHORIZATION "${target}"`))).rejects.toThrow(/permission denied/);
    }
  });

  it("cannot make a tenant's key an installation admin (POST /tenants), even after RESET ROLE", async () => {
    const inB = <T>(fn: (em: EntityManager) => Promise<T>) => runInTenant(tenantB, () => db.run(fn));
    const [key] = await inB((em) => em.query(`SELECT id, installation_admin FROM api_keys`));
    expect(key.installation_admin).toBe(false);
    await expect(
      inB((em) => em.query(`UPDATE api_keys SET installation_admin = true WHERE id = $1`, [key.id])),
    ).rejects.toThrow(/only the installation makes an installation admin/);
    await expect(
      inB(async (em) => {
        await em.query(`RESET ROLE`);
        await em.query(
          `INSERT INTO api_keys (name, role, prefix, hash, installation_admin) VALUES ('x', 'admin', 'pa_cccccccccc', $1, true)`,
          ['e'.repeat(64)],
        );
      }),
    ).rejects.toThrow(/only the installation makes an installation admin/);
    // Other updates of its own keys go through; the installation's connection may set the flag (the bootstrap key).
    await inB((em) => em.query(`UPDATE api_keys SET name = 'renamed' WHERE id = $1`, [key.id]));
    await s.dataSource.query(`UPDATE api_keys SET installation_admin = true WHERE id = $1`, [key.id]);
    await s.dataSource.query(`UPDATE api_keys SET installation_admin = false WHERE id = $1`, [key.id]);
  });

  it('on the installation connection the same RESET ROLE sees every tenant: the limit the login closes', async () => {
    const single = new TenantDb(s.dataSource);
    const seen = await runInTenant(A, () =>
      single.run(async (em) => {
        await em.query(`RESET ROLE`);
        return ((await em.query(`SELECT id FROM models ORDER BY id`)) as Array<{ id: string }>).map((r) => r.id);
      }),
    );
    expect(seen.sort()).toEqual([models[A], models[tenantB]].sort());
  });

  it("leaves installation-wide work to the installation connection: the login cannot write the installation's tables", async () => {
    const [row] = await s.dataSource.query(`SELECT count(*)::int AS n FROM models`);
    expect(row.n).toBe(2);
    await expect(tenantLogin.query(`INSERT INTO tenants (name) VALUES ('from the login')`)).rejects.toThrow(
      /permission denied/,
    );
  });
});

describe('start-up refuses a DATABASE_TENANT_URL whose role could escape row-level security', () => {
  let s: TestSchema;
  const logins: Array<{ drop(): Promise<void> }> = [];
  beforeAll(async () => {
    s = await openTestSchema('tlrefuse', { tenantLogin: false });
  });
  afterAll(async () => {
    for (const l of logins) await l.drop();
    await s.drop();
  });

  async function refusal(url: string): Promise<string> {
    try {
      const ds = await openTenantLogin({ url, schema: s.schema, poolSize: 1 }, DEFAULT_TENANT_ROLE);
      await ds.destroy();
      return 'accepted';
    } catch (e) {
      expect(e).toBeInstanceOf(TenantLoginRefusedError);
      const message = (e as Error).message;
      // Never the URL nor its password.
      expect(message).not.toContain(url);
      const password = new URL(url).password;
      if (password) expect(message).not.toContain(password);
      return message;
    }
  }

  async function login(label: string, opts: Parameters<typeof createTenantLogin>[1] = {}) {
    const l = await createTenantLogin(label, opts);
    logins.push(l);
    return l;
  }

  it('accepts a login that is only a member of the tenant role', async () => {
    expect(await refusal((await login('ok')).url)).toBe('accepted');
  });

  it('refuses the superuser (the installation connection of the tests)', async () => {
    expect(await refusal(DATABASE_URL)).toMatch(
      /^DATABASE_TENANT_URL is refused: its role is \(or is a member of\) a superuser/,
    );
  });

  it('refuses BYPASSRLS and CREATEROLE', async () => {
    expect(await refusal((await login('bypass', { attributes: 'BYPASSRLS' })).url)).toMatch(/BYPASSRLS/);
    expect(await refusal((await login('createrole', { attributes: 'CREATEROLE' })).url)).toMatch(/CREATEROLE/);
  });

  it('refuses a member of a role that has BYPASSRLS (SET ROLE would reach it)', async () => {
    const l = await login('memberof');
    const privileged = await login('privileged', { attributes: 'BYPASSRLS NOLOGIN', memberOfTenantRole: false });
    await s.dataSource.query(`GRANT ${privileged.role} TO ${l.role}`);
    expect(await refusal(l.url)).toMatch(/BYPASSRLS/);
  });

  it('refuses the owner of anything in the schema (it passes installation_access, or could redefine it)', async () => {
    const l = await login('owner');
    await s.dataSource.query(`CREATE TABLE "${s.schema}".owned_by_login (x int)`);
    await s.dataSource.query(`ALTER TABLE "${s.schema}".owned_by_login OWNER TO ${l.role}`);
    expect(await refusal(l.url)).toMatch(/owns \(or is a member of the owner of\) the schema/);
  });

  it('refuses a login that may create objects in the schema', async () => {
    const l = await login('creator');
    await s.dataSource.query(`GRANT CREATE ON SCHEMA "${s.schema}" TO ${l.role}`);
    expect(await refusal(l.url)).toMatch(/may CREATE in the schema/);
  });

  it('refuses a login that is not a member of the tenant role', async () => {
    expect(await refusal((await login('outsider', { memberOfTenantRole: false })).url)).toMatch(
      /not a member of privaudit_app/,
    );
  });

  it('names the variable, not the URL, when it cannot connect', async () => {
    const l = await login('wrongdb');
    const url = new URL(l.url);
    url.pathname = '/no_such_database_here';
    expect(await refusal(url.toString())).toMatch(/^DATABASE_TENANT_URL is refused: cannot connect/);
  });

  it("refuses a login to another database than the installation's", async () => {
    const l = await login('otherdb');
    const other = new URL(l.url);
    other.pathname = '/postgres';
    const ds = await openTenantLogin(
      { url: other.toString(), schema: s.schema, poolSize: 1 },
      DEFAULT_TENANT_ROLE,
    ).catch((e: unknown) => e);
    // Without the installation to compare with it passes (nothing of the schema there to own)...
    expect(ds).not.toBeInstanceOf(Error);
    await (ds as DataSource).destroy();
    // ...with it, it is refused.
    await expect(
      openTenantLogin({ url: other.toString(), schema: s.schema, poolSize: 1 }, DEFAULT_TENANT_ROLE, s.dataSource),
    ).rejects.toThrow(/^DATABASE_TENANT_URL is refused: it names another database than DATABASE_URL/);
  });

  it('checks a connection already open (assertTenantLogin) the same way', async () => {
    await expect(assertTenantLogin(s.dataSource, s.schema, DEFAULT_TENANT_ROLE)).rejects.toThrow(/superuser/);
  });
});
