// TenantDb opens each tenant transaction in one round trip (BEGIN and the tenant binding as one simple-protocol
// query) and then hands TypeORM a query runner it believes it opened itself. These check, against the real Postgres,
// that the transaction is still what it was: bound to the tenant role and tenant, nested calls as savepoints, a
// failure rolling everything back, and no connection going back to the pool inside a transaction.
import { DataSource, type Logger } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/persistence/src/data-source-options';
import { DEFAULT_TENANT_ID, runInTenant, TenantDb } from '../../libs/persistence/src/tenancy';
import { DATABASE_URL, openTestSchema } from './support/test-infrastructure';

describe('TenantDb transactions', () => {
  let migrated: { dataSource: DataSource; schema: string; drop: () => Promise<void> };
  let oneConnection: DataSource;
  let db: TenantDb;
  const statements: string[] = [];

  beforeAll(async () => {
    migrated = await openTestSchema('tenant_db');
    const options = buildDataSourceOptions({ url: DATABASE_URL, schema: migrated.schema });
    const counting: Logger = {
      logQuery: (query) => void statements.push(query),
      logQueryError: () => undefined,
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    // One connection: whatever a transaction leaves behind, the next query meets it.
    oneConnection = new DataSource({
      ...options,
      extra: { options: `-c search_path=${migrated.schema}`, max: 1 },
      logging: ['query'],
      logger: counting,
    } as typeof options);
    await oneConnection.initialize();
    db = new TenantDb(oneConnection);
  });
  afterAll(async () => {
    await oneConnection.destroy();
    await migrated.drop();
  });

  /** The connection as the pool has it between transactions: its own role, no tenant, no transaction open. */
  async function expectCleanConnection(): Promise<void> {
    const [row] = await oneConnection.query(
      `SELECT current_user AS who, coalesce(current_setting('app.tenant_id', true), '') AS tenant, now() = statement_timestamp() AS fresh`,
    );
    const [login] = await oneConnection.query(`SELECT session_user AS who`);
    expect(row).toEqual({ who: login.who, tenant: '', fresh: true });
  }

  it('runs one statement as the tenant role for the tenant in three round trips', async () => {
    statements.length = 0;
    const [row] = await runInTenant(DEFAULT_TENANT_ID, () =>
      db.query(`SELECT current_user AS who, current_setting('app.tenant_id') AS tenant`),
    );
    expect(row).toEqual({ who: db.role, tenant: DEFAULT_TENANT_ID });
    expect(statements).toEqual([
      expect.stringMatching(/^START TRANSACTION; SELECT set_config\('role', 'privaudit_app', true\)/),
      expect.stringMatching(/^SELECT current_user/),
      'COMMIT',
    ]);
    await expectCleanConnection();
  });

  it('commits what the transaction wrote, and a nested call is a savepoint that can fail alone', async () => {
    const name = `m-${Date.now()}`;
    await runInTenant(DEFAULT_TENANT_ID, () =>
      db.run(async (em) => {
        await em.query(`INSERT INTO models (name) VALUES ($1)`, [`${name}-outer`]);
        await expect(
          db.run(async (inner) => {
            await inner.query(`INSERT INTO models (name) VALUES ($1)`, [`${name}-inner`]);
            throw new Error('inner failure');
          }),
        ).rejects.toThrow('inner failure');
        await em.query(`INSERT INTO models (name) VALUES ($1)`, [`${name}-after`]);
      }),
    );
    const names = (await oneConnection.query(`SELECT name FROM models WHERE name LIKE $1 ORDER BY name`, [
      `${name}-%`,
    ])) as Array<{ name: string }>;
    expect(names.map((n) => n.name)).toEqual([`${name}-after`, `${name}-outer`]);
    await expectCleanConnection();
  });

  it('rolls back everything when the work fails, and the connection leaves no transaction open', async () => {
    const name = `r-${Date.now()}`;
    await expect(
      runInTenant(DEFAULT_TENANT_ID, () =>
        db.run(async (em) => {
          await em.query(`INSERT INTO models (name) VALUES ($1)`, [name]);
          await em.query(`SELECT * FROM no_such_table`);
        }),
      ),
    ).rejects.toThrow(/no_such_table/);
    expect(await oneConnection.query(`SELECT name FROM models WHERE name = $1`, [name])).toEqual([]);
    await expectCleanConnection();
  });

  it('fails closed when the tenant binding fails, and hands back a clean connection', async () => {
    const broken = new TenantDb(oneConnection, 'no_such_role_here');
    await expect(runInTenant(DEFAULT_TENANT_ID, () => broken.query(`SELECT 1`))).rejects.toThrow(/role/);
    await expectCleanConnection();
  });

  it('refuses a tenant id that is not a UUID before any SQL', async () => {
    statements.length = 0;
    await expect(runInTenant(`x'; RESET ROLE; --`, () => db.query(`SELECT 1`))).rejects.toThrow(/not a UUID/);
    expect(statements).toEqual([]);
  });
});
