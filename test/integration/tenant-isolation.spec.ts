// Row-level security in the database itself: under the tenant role with tenant A set, no SQL whatsoever sees or
// writes tenant B's rows. These queries are raw SQL, not the repositories: a code bug that forgets a tenant
// condition (or names another tenant's id) is still refused by Postgres.
import type { DataSource, EntityManager } from 'typeorm';
import type { ModelSignature } from '../../libs/engine/src/types';
import { DatasetRole } from '../../libs/persistence/src';
import { boundToTenant, DEFAULT_TENANT_ID, runInTenant, TenantDb } from '../../libs/persistence/src/tenancy';
import { TypeOrmAuditRepository } from '../../libs/persistence/src/typeorm/typeorm-audit.repository';
import { TypeOrmDatasetRepository } from '../../libs/persistence/src/typeorm/typeorm-dataset.repository';
import { TypeOrmModelRepository } from '../../libs/persistence/src/typeorm/typeorm-model.repository';
import { TypeOrmReferenceModelRepository } from '../../libs/persistence/src/typeorm/typeorm-reference-model.repository';
import { TypeOrmTenantRepository } from '../../libs/persistence/src/typeorm/typeorm-tenant.repository';
import { openTestSchema } from './support/test-infrastructure';

const signature: ModelSignature = {
  inputName: 'x',
  nFeatures: 4,
  numClasses: 3,
  outputName: 'y',
  outputKind: 'probabilities',
  opset: 17,
};

/** Tables that are installation-wide on purpose (migrations/1764190000000-tenants.ts says why). */
// reference_model_claims: a key and a lease, no data; each claim's key names its tenant.
const INSTALLATION_TABLES = ['reference_model_claims', 'tenants', 'typeorm_migrations', 'webhook_deliveries'];

describe('tenant isolation by Postgres row-level security', () => {
  let dataSource: DataSource;
  /** Where tenant transactions run: the tenant login under PRIVAUDIT_TEST_TENANT_LOGIN=1, else dataSource. */
  let tenantSide: DataSource;
  let schema: string;
  let drop: () => Promise<void>;
  let db: TenantDb;
  let tenantB: string;
  const A = DEFAULT_TENANT_ID;
  const rows: Record<string, { auditId: string; datasetId: string; versionId: string; modelId: string }> = {};

  async function seed(tenantId: string, label: string) {
    const models = boundToTenant(new TypeOrmModelRepository(db), tenantId);
    const datasets = boundToTenant(new TypeOrmDatasetRepository(db), tenantId);
    const audits = boundToTenant(new TypeOrmAuditRepository(db), tenantId);
    const model = await models.createModel({ name: `model of ${label}`, description: null });
    const version = await models.addVersion({ modelId: model.id, sha256: 'a'.repeat(64), sizeBytes: 1, signature });
    const dataset = (role: DatasetRole) =>
      datasets.create({
        name: `${role} of ${label}`,
        role,
        labelColumn: 'y',
        idColumn: null,
        sha256: 'b'.repeat(64),
        sizeBytes: 10,
        rows: 5,
        columns: [{ name: 'y', type: 'integer', missing: 0 }],
      });
    const members = await dataset(DatasetRole.Members);
    const nonMembers = await dataset(DatasetRole.NonMembers);
    const audit = await audits.createQueued({
      modelVersionId: version.id,
      membersDatasetId: members.id,
      nonMembersDatasetId: nonMembers.id,
      populationDatasetId: null,
      attacks: null,
      seed: 1,
      referenceModels: null,
    });
    await boundToTenant(new TypeOrmReferenceModelRepository(db), tenantId).putIfAbsent(
      'c'.repeat(16),
      Buffer.from(label),
    );
    rows[tenantId] = { auditId: audit.id, datasetId: members.id, versionId: version.id, modelId: model.id };
  }

  /** Raw SQL as the application runs it: the tenant role, app.tenant_id set (or not), in one transaction. */
  function asTenant<T>(tenantId: string | null, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return tenantSide.transaction(async (em) => {
      await em.query(`SELECT set_config('role', $1, true)`, [db.role]);
      if (tenantId !== null) await em.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      return fn(em);
    });
  }

  beforeAll(async () => {
    let tenantLogin: DataSource | undefined;
    ({ dataSource, schema, drop, tenantDb: db, tenantLogin } = await openTestSchema('tenants'));
    tenantSide = tenantLogin ?? dataSource;
    ({
      tenant: { id: tenantB },
    } = await new TypeOrmTenantRepository(db).createWithAdminKey(
      { name: 'tenant b', referenceSecondsPerMonth: null, queriesPerMonth: null },
      { name: 'b admin', role: 'admin' as never, prefix: 'pa_bbbbbbbbb', hash: 'f'.repeat(64) },
    ));
    await seed(A, 'a');
    await seed(tenantB, 'b');
  });
  afterAll(async () => drop());

  it('runs tenant work as a role that is neither superuser nor BYPASSRLS, on tables with FORCEd RLS', async () => {
    const [role] = await dataSource.query(
      `SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`,
      [db.role],
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcanlogin: false });
    // Every table is tenant-owned (tenant_id, RLS enabled and forced, the isolation policy) or listed as
    // installation-wide: a new table cannot be forgotten.
    const tables: Array<{ name: string; tenant: boolean; rls: boolean; forced: boolean; policy: boolean }> =
      await dataSource.query(
        `SELECT c.relname AS name,
           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant,
           c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
           EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') AS policy
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
        [schema],
      );
    const unprotected = tables.filter((t) => !(t.tenant && t.rls && t.forced && t.policy)).map((t) => t.name);
    expect(unprotected.filter((t) => t !== 'tenants')).toEqual(INSTALLATION_TABLES.filter((t) => t !== 'tenants'));
    expect(tables.find((t) => t.name === 'tenants')).toMatchObject({ rls: true, forced: true, policy: true });
    expect(tables.filter((t) => t.tenant).map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'access_log',
        'api_keys',
        'audit_plans',
        'audits',
        'datasets',
        'findings',
        'model_versions',
        'models',
        'reference_models',
      ]),
    );
  });

  it('shows tenant A only its own rows, whatever the SQL asks', async () => {
    await asTenant(A, async (em) => {
      const audits: Array<{ id: string; tenant_id: string }> = await em.query(`SELECT * FROM audits`);
      expect(audits.map((a) => a.id)).toEqual([rows[A]!.auditId]);
      expect(await em.query(`SELECT id FROM audits WHERE id = $1`, [rows[tenantB]!.auditId])).toEqual([]);
      expect(await em.query(`SELECT id FROM datasets WHERE tenant_id = $1`, [tenantB])).toEqual([]);
      // B's admin key exists; A has none in this schema.
      expect(await em.query(`SELECT id FROM api_keys`)).toEqual([]);
      for (const table of ['models', 'model_versions', 'datasets', 'audits', 'reference_models']) {
        const tenants: Array<{ tenant_id: string }> = await em.query(`SELECT DISTINCT tenant_id FROM ${table}`);
        expect({ table, tenants: tenants.map((t) => t.tenant_id) }).toEqual({ table, tenants: [A] });
      }
      expect(await em.query(`SELECT id FROM tenants`)).toEqual([{ id: A }]);
    });
  });

  it("refuses an INSERT carrying tenant B's id, and cannot change or delete B's rows", async () => {
    await expect(
      asTenant(A, (em) => em.query(`INSERT INTO models (name, tenant_id) VALUES ('smuggled', $1)`, [tenantB])),
    ).rejects.toThrow(/row-level security/);
    await expect(
      asTenant(A, (em) =>
        em.query(
          `INSERT INTO audits (tenant_id, model_version_id, members_dataset_id, non_members_dataset_id, seed, status)
           VALUES ($1, $2, $3, $3, 1, 'queued')`,
          [tenantB, rows[tenantB]!.versionId, rows[tenantB]!.datasetId],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await asTenant(A, (em) =>
      em.query(`UPDATE audits SET phase = 'tampered' WHERE id = $1 RETURNING id`, [rows[tenantB]!.auditId]),
    );
    expect(updated).toEqual([[], 0]);
    const deleted = await asTenant(A, (em) =>
      em.query(`DELETE FROM models WHERE id = $1 RETURNING id`, [rows[tenantB]!.modelId]),
    );
    expect(deleted).toEqual([[], 0]);
    // Moving one's own row into B is refused too (WITH CHECK applies to the new row).
    await expect(
      asTenant(A, (em) => em.query(`UPDATE models SET tenant_id = $1 WHERE id = $2`, [tenantB, rows[A]!.modelId])),
    ).rejects.toThrow(/row-level security/);
    const [phase] = await dataSource.query(`SELECT phase FROM audits WHERE id = $1`, [rows[tenantB]!.auditId]);
    expect(phase.phase).toBe('queued');
  });

  it("refuses a row of A that points at B's rows, even from the installation's own role", async () => {
    // Foreign-key checks bypass RLS; the (tenant_id, id) keys do not.
    await expect(
      dataSource.query(
        `INSERT INTO audits (tenant_id, model_version_id, members_dataset_id, non_members_dataset_id, seed, status)
         VALUES ($1, $2, $3, $3, 1, 'failed')`,
        [A, rows[A]!.versionId, rows[tenantB]!.datasetId],
      ),
    ).rejects.toThrow(/same_tenant/);
  });

  it('sees nothing and writes nothing without a tenant set (fail closed)', async () => {
    await asTenant(null, async (em) => {
      expect(await em.query(`SELECT id FROM audits`)).toEqual([]);
      expect(await em.query(`SELECT id FROM api_keys`)).toEqual([]);
    });
    await expect(asTenant(null, (em) => em.query(`INSERT INTO models (name) VALUES ('orphan')`))).rejects.toThrow(
      /null value in column "tenant_id"|row-level security/,
    );
    // And the code path refuses before any SQL: no tenant scope, no query.
    await expect(new TypeOrmAuditRepository(db).findById(rows[A]!.auditId)).rejects.toThrow(/without a tenant/);
  });

  it("answers the repositories per tenant: B cannot find A's audit, and an insert lands in the caller's tenant", async () => {
    const auditsOfB = boundToTenant(new TypeOrmAuditRepository(db), tenantB);
    expect(await auditsOfB.findById(rows[A]!.auditId)).toBeNull();
    expect(await auditsOfB.findById(rows[tenantB]!.auditId)).not.toBeNull();
    const model = await runInTenant(tenantB, () =>
      new TypeOrmModelRepository(db).createModel({ name: 'n', description: null }),
    );
    const [row] = await dataSource.query(`SELECT tenant_id FROM models WHERE id = $1`, [model.id]);
    expect(row.tenant_id).toBe(tenantB);
    // Reference models are per tenant: the same cache key holds each tenant's own weights.
    const weights = await boundToTenant(new TypeOrmReferenceModelRepository(db), tenantB).find('c'.repeat(16));
    expect(weights?.weights.toString()).toBe('b');
  });
});
