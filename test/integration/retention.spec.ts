// Data lifecycle against a real Postgres, Redis and file system (docs/security.md, "Retention", "Deletion", "Data at
// rest"): the retention purge deletes a tenant's expired audits and datasets through the deletion service (keys
// destroyed, blobs removed, receipts marked 'retention') while another tenant's (longer retention), an active
// audit's and an audit plan's data are kept; a second pass is a no-op and a tenant held by another process is
// skipped. Deleting an audit removes its artefact blobs (unless another row uses the same bytes) and lists them;
// deleting a model lists its notification subscriptions. The legacy sealing command seals a plaintext dataset in
// place, which then reads back through the normal path.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { DataDeletion } from '../../apps/api/src/deletion/data-deletion';
import { RetentionPurge } from '../../apps/api/src/retention/retention-purge';
import { FilesystemBlobStore } from '../../libs/persistence/src/blob-store/filesystem-blob-store';
import { sweepOrphanBlobs } from '../../libs/persistence/src/blob-store/orphan-blob-sweep';
import { DataVault } from '../../libs/persistence/src/encryption/data-vault';
import { LegacyDatasetSealer } from '../../libs/persistence/src/encryption/legacy-dataset-sealer';
import { MasterKeyring } from '../../libs/persistence/src/encryption/master-keyring';
import { ApiKeyRole } from '../../libs/persistence/src/records';
import type { DeletionReceipt } from '../../libs/persistence/src/repositories/data-lifecycle.repository';
import { DEFAULT_TENANT_ID, runInTenant, TenantDb } from '../../libs/persistence/src/tenancy';
import { TypeOrmDataKeyRepository } from '../../libs/persistence/src/typeorm/typeorm-data-key.repository';
import { TypeOrmDataLifecycleRepository } from '../../libs/persistence/src/typeorm/typeorm-data-lifecycle.repository';
import { TypeOrmDatasetRepository } from '../../libs/persistence/src/typeorm/typeorm-dataset.repository';
import { TypeOrmTenantRepository } from '../../libs/persistence/src/typeorm/typeorm-tenant.repository';
import { BullMqReauditScheduler } from '../../libs/queue/src/reaudit-scheduler';
import { openTestSchema, REDIS_URL, uniqueQueuePrefix } from './support/test-infrastructure';

const CSV = 'row_id,age,label\nr1,34,1\nr2,51,0\n';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('data lifecycle: retention purge, artefact blobs, receipts, legacy sealing', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let dir: string;
  let db: TenantDb;
  let blobs: FilesystemBlobStore;
  let vault: DataVault;
  let keyring: MasterKeyring;
  let lifecycle: TypeOrmDataLifecycleRepository;
  let tenants: TypeOrmTenantRepository;
  let deletions: DataDeletion;
  let scheduler: BullMqReauditScheduler;
  const logs: string[] = [];
  const logger = { log: (m: unknown) => logs.push(String(m)), warn: (m: unknown) => logs.push(String(m)) };
  const A = DEFAULT_TENANT_ID;
  let B: string;

  beforeAll(async () => {
    ({ dataSource, drop, tenantDb: db } = await openTestSchema('retention'));
    dir = mkdtempSync(join(tmpdir(), 'privaudit-retention-'));
    blobs = new FilesystemBlobStore(join(dir, 'storage'));
    keyring = new MasterKeyring(randomBytes(32).toString('base64'), []);
    vault = new DataVault(keyring, new TypeOrmDataKeyRepository(db), blobs);
    lifecycle = new TypeOrmDataLifecycleRepository(db);
    tenants = new TypeOrmTenantRepository(db);
    scheduler = new BullMqReauditScheduler(REDIS_URL, uniqueQueuePrefix('retention'));
    deletions = new DataDeletion(lifecycle, blobs, scheduler, logger);
    B = (
      await tenants.createWithAdminKey(
        { name: 'tenant b', referenceSecondsPerMonth: null, queriesPerMonth: null, retentionDays: 365 },
        { name: 'b admin', role: ApiKeyRole.Admin, prefix: 'pa_btenant01', hash: 'h'.repeat(64) },
      )
    ).tenant.id;
    await runInTenant(A, () => tenants.setRetentionDays(30));
  });
  afterAll(async () => {
    await scheduler?.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const blobExists = (s: string) => blobs.exists(s);

  /** A model with one version, in `tenant` (installation connection, tenant named explicitly). */
  async function model(tenant: string): Promise<{ modelId: string; versionId: string }> {
    const [m] = await dataSource.query(`INSERT INTO models (tenant_id, name) VALUES ($1, 'm') RETURNING id`, [tenant]);
    const versionId = await addVersion(tenant, m.id, 1);
    return { modelId: m.id, versionId };
  }
  async function addVersion(tenant: string, modelId: string, n: number): Promise<string> {
    const [v] = await dataSource.query(
      `INSERT INTO model_versions (tenant_id, model_id, version, sha256, size_bytes, signature)
       VALUES ($1, $2, $3, $4, 1, '{}') RETURNING id`,
      [tenant, modelId, n, randomBytes(32).toString('hex')],
    );
    return v.id;
  }

  /** A dataset sealed under its own key as an upload is, uploaded `ageDays` ago. */
  async function dataset(tenant: string, ageDays: number): Promise<{ id: string; keyId: string; blob: string }> {
    const plain = join(dir, `${randomUUID()}.csv`);
    writeFileSync(plain, CSV);
    const { keyId, blobSha256 } = await runInTenant(tenant, () => vault.sealNewFile(plain));
    const [d] = await dataSource.query(
      `INSERT INTO datasets (tenant_id, name, role, label_column, id_column, sha256, size_bytes, rows, columns, key_id,
                             blob_sha256, created_at)
       VALUES ($1, 'd', 'members', 'label', 'row_id', $2, $3, 2, '[]', $4, $5, now() - make_interval(days => $6))
       RETURNING id`,
      [tenant, sha(CSV), CSV.length, keyId, blobSha256, ageDays],
    );
    return { id: d.id, keyId, blob: blobSha256 };
  }

  /** An audit of `versionId` on these datasets, `status`, finished `ageDays` ago (created then too). */
  async function audit(
    tenant: string,
    versionId: string,
    datasets: { members: string; nonMembers: string },
    status: string,
    ageDays: number,
  ): Promise<string> {
    const finished = ['succeeded', 'failed', 'cancelled'].includes(status);
    const [a] = await dataSource.query(
      `INSERT INTO audits (tenant_id, model_version_id, members_dataset_id, non_members_dataset_id, seed, status,
                           report_sha256, created_at, finished_at)
       VALUES ($1, $2, $3, $4, 1, $5, $6, now() - make_interval(days => $7),
               CASE WHEN $8 THEN now() - make_interval(days => $7) END)
       RETURNING id`,
      [
        tenant,
        versionId,
        datasets.members,
        datasets.nonMembers,
        status,
        finished ? 'e'.repeat(64) : null,
        ageDays,
        finished,
      ],
    );
    await dataSource.query(
      `INSERT INTO findings (tenant_id, audit_id, attack, severity, reference, summary, metrics, most_exposed)
       VALUES ($1, $2, 'membership.loss', 'high', 'ref', 's', '{}', '[]')`,
      [tenant, a.id],
    );
    return a.id;
  }

  /** An artefact file of an audit, stored in the blob store as the worker stores it. */
  async function artifact(tenant: string, auditId: string, name: string, bytes: Buffer): Promise<string> {
    const tmp = join(blobs.tempDir(), randomUUID());
    writeFileSync(tmp, bytes);
    await blobs.adopt(tmp, sha(bytes));
    await dataSource.query(
      `INSERT INTO audit_artifacts (tenant_id, audit_id, name, kind, media_type, sha256, bytes)
       VALUES ($1, $2, $3, 'reconstruction-csv', 'text/csv', $4, $5)`,
      [tenant, auditId, name, sha(bytes), bytes.length],
    );
    return sha(bytes);
  }

  const receipts = async (): Promise<DeletionReceipt[]> =>
    (
      (await dataSource.query(`SELECT receipt FROM deletion_receipts ORDER BY deleted_at, id`)) as Array<{
        receipt: DeletionReceipt;
      }>
    ).map((r) => r.receipt);
  const exists = async (table: string, id: string) =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [id]))[0].n) === 1;

  it('deleting an audit removes its artefact blobs once no other row uses them, and lists them on the receipt', async () => {
    const { versionId } = await model(A);
    const [members, nonMembers] = [await dataset(A, 0), await dataset(A, 0)];
    const ds = { members: members.id, nonMembers: nonMembers.id };
    const first = await audit(A, versionId, ds, 'succeeded', 0);
    const second = await audit(A, versionId, ds, 'succeeded', 0);
    const own = await artifact(A, first, 'reconstructions.csv', Buffer.from(`own ${randomUUID()}`));
    const shared = Buffer.from(`shared ${randomUUID()}`);
    const sharedSha = await artifact(A, first, 'surrogate.onnx', shared);
    await artifact(A, second, 'surrogate.onnx', shared);

    const r1 = await runInTenant(A, () => deletions.deleteAudit(first, randomUUID()));
    expect(r1.reason).toBe('request');
    expect(r1.items.filter((i) => i.type === 'artifact')).toEqual([
      expect.objectContaining({ id: first, name: 'reconstructions.csv', sha256: own, blobSha256: own }),
      expect.objectContaining({ id: first, name: 'surrogate.onnx', sha256: sharedSha }),
    ]);
    // The surrogate's bytes are also the second audit's: kept until their last user goes.
    expect(r1.blobsRemoved).toEqual([own]);
    expect(await blobExists(own)).toBe(false);
    expect(await blobExists(sharedSha)).toBe(true);

    const r2 = await runInTenant(A, () => deletions.deleteAudit(second, randomUUID()));
    expect(r2.blobsRemoved).toEqual([sharedSha]);
    expect(await blobExists(sharedSha)).toBe(false);
    // The datasets stay (an audit's deletion leaves its data).
    expect(await blobExists(members.blob)).toBe(true);
  });

  it('deleting a model lists its notification subscriptions and their delivery logs, which go with it', async () => {
    const { modelId, versionId } = await model(A);
    const [members, nonMembers] = [await dataset(A, 0), await dataset(A, 0)];
    const auditId = await audit(A, versionId, { members: members.id, nonMembers: nonMembers.id }, 'succeeded', 0);
    const [sub] = await dataSource.query(
      `INSERT INTO notification_subscriptions (tenant_id, model_id, url, events, secret_sealed)
       VALUES ($1, $2, 'https://hooks.example.org/privaudit/secret-path', '{audit.completed}', 'sealed') RETURNING id`,
      [A, modelId],
    );
    await dataSource.query(
      `INSERT INTO notification_deliveries (tenant_id, subscription_id, audit_id, event) VALUES ($1, $2, $3, 'audit.completed')`,
      [A, sub.id, auditId],
    );
    const receipt = await runInTenant(A, () => deletions.deleteModel(modelId, randomUUID()));
    expect(receipt.items).toEqual(
      expect.arrayContaining([
        { type: 'notification-subscription', id: sub.id, name: 'hooks.example.org' },
        { type: 'notification-deliveries', id: sub.id, count: 1 },
        { type: 'notification-deliveries', id: auditId, count: 1 },
      ]),
    );
    expect(JSON.stringify(receipt)).not.toContain('secret-path');
    expect(await exists('notification_subscriptions', sub.id)).toBe(false);
    expect(Number((await dataSource.query(`SELECT count(*)::int AS n FROM notification_deliveries`))[0].n)).toBe(0);
  });

  it("purges a tenant's expired audits and datasets with receipts; keeps another tenant's, an active audit's and a plan's", async () => {
    // Tenant A (30 days): an old finished audit on old data, with an artefact.
    const a = await model(A);
    const oldData = { members: await dataset(A, 40), nonMembers: await dataset(A, 40) };
    const oldAudit = await audit(
      A,
      a.versionId,
      { members: oldData.members.id, nonMembers: oldData.nonMembers.id },
      'failed',
      40,
    );
    const oldArtifact = await artifact(A, oldAudit, 'reconstructions.csv', Buffer.from(`old ${randomUUID()}`));
    // Old data an audit is running on right now: kept, with the audit.
    const busyVersion = await addVersion(A, a.modelId, 2);
    const busyData = { members: await dataset(A, 40), nonMembers: await dataset(A, 40) };
    const running = await audit(
      A,
      busyVersion,
      { members: busyData.members.id, nonMembers: busyData.nonMembers.id },
      'running',
      0,
    );
    // Old data used by a recent audit: its period counts from that use.
    const usedData = { members: await dataset(A, 40), nonMembers: await dataset(A, 40) };
    const recent = await audit(
      A,
      a.versionId,
      { members: usedData.members.id, nonMembers: usedData.nonMembers.id },
      'succeeded',
      2,
    );
    // A model with an audit plan: its datasets and its latest succeeded audit (the gate's baseline) are kept.
    const planned = await model(A);
    const planData = { members: await dataset(A, 40), nonMembers: await dataset(A, 40) };
    const planDs = { members: planData.members.id, nonMembers: planData.nonMembers.id };
    const olderPlanned = await audit(A, planned.versionId, planDs, 'succeeded', 60);
    const baseline = await audit(A, planned.versionId, planDs, 'succeeded', 50);
    await dataSource.query(`INSERT INTO audit_plans (tenant_id, model_id, options) VALUES ($1, $2, $3)`, [
      A,
      planned.modelId,
      JSON.stringify({ membersDatasetId: planDs.members, nonMembersDatasetId: planDs.nonMembers }),
    ]);
    const fresh = await dataset(A, 1);
    // Tenant B (365 days): the same ages, kept.
    const b = await model(B);
    const bData = { members: await dataset(B, 40), nonMembers: await dataset(B, 40) };
    const bAudit = await audit(
      B,
      b.versionId,
      { members: bData.members.id, nonMembers: bData.nonMembers.id },
      'succeeded',
      40,
    );

    const before = (await receipts()).length;
    const purge = new RetentionPurge(tenants, lifecycle, deletions, undefined, logger);
    const pass = await purge.runPass();
    expect(pass.failed).toEqual([]);
    expect(pass.tenants.map((t) => [t.tenantId, t.retentionDays, t.audits, t.datasets, t.busy])).toEqual(
      expect.arrayContaining([
        [A, 30, 2, 2, false],
        [B, 365, 0, 0, false],
      ]),
    );

    // Gone: the old audit (with its findings and artefact) and the old data (keys destroyed, files removed).
    expect(await exists('audits', oldAudit)).toBe(false);
    expect(await exists('audits', olderPlanned)).toBe(false);
    expect(await blobExists(oldArtifact)).toBe(false);
    for (const d of [oldData.members, oldData.nonMembers]) {
      expect(await exists('datasets', d.id)).toBe(false);
      expect(await blobExists(d.blob)).toBe(false);
      const [key] = await dataSource.query(`SELECT wrapped_key, destroyed_at FROM data_keys WHERE id = $1`, [d.keyId]);
      expect(key.wrapped_key).toBeNull();
      expect(key.destroyed_at).not.toBeNull();
    }
    // Kept: the active audit and its data, recently used data, the plan's data and baseline, new data, tenant B.
    for (const id of [running, recent, baseline, bAudit]) expect(await exists('audits', id)).toBe(true);
    for (const d of [busyData, usedData, planData, bData].flatMap((x) => [x.members, x.nonMembers]).concat(fresh)) {
      expect(await exists('datasets', d.id)).toBe(true);
      expect(await blobExists(d.blob)).toBe(true);
    }

    // Receipts: one per subject, made by the purge, not by a key; they list what went.
    const made = (await receipts()).slice(before);
    expect(made.map((r) => [r.subjectType, r.subjectId]).sort()).toEqual(
      [
        ['audit', oldAudit],
        ['audit', olderPlanned],
        ['dataset', oldData.members.id],
        ['dataset', oldData.nonMembers.id],
      ].sort(),
    );
    for (const r of made) expect(r).toMatchObject({ reason: 'retention', retentionDays: 30, deletedBy: null });
    const auditReceipt = made.find((r) => r.subjectId === oldAudit)!;
    expect(auditReceipt.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'findings', id: oldAudit, count: 1 }),
        expect.objectContaining({ type: 'artifact', id: oldAudit, sha256: oldArtifact }),
      ]),
    );
    expect(auditReceipt.blobsRemoved).toEqual([oldArtifact]);
    const dataReceipt = made.find((r) => r.subjectId === oldData.members.id)!;
    expect(dataReceipt.items.slice(0, 2)).toEqual([
      expect.objectContaining({ type: 'dataset', id: oldData.members.id }),
      expect.objectContaining({ type: 'data-key', id: oldData.members.keyId }),
    ]);
    expect(dataReceipt.blobsRemoved).toEqual([oldData.members.blob]);
    expect(logs.join('\n')).toMatch(/tenant .* \(30 days\): 2 audit\(s\) and 2 dataset\(s\) deleted/);
    expect(logs.join('\n')).not.toContain('row_id');

    // Run again: nothing more is due, nothing is written.
    const again = await purge.runPass();
    expect(again.audits + again.datasets).toBe(0);
    expect((await receipts()).length).toBe(before + made.length);

    // Once the running audit ends long ago (and the recent one too), their data expires as well.
    await dataSource.query(
      `UPDATE audits SET status = 'succeeded', finished_at = now() - interval '31 days', created_at = now() - interval '31 days'
        WHERE id = ANY($1::uuid[])`,
      [[running, recent]],
    );
    const later = await purge.runPass();
    expect(later.tenants.find((t) => t.tenantId === A)).toMatchObject({ audits: 2, datasets: 4 });
    expect(await exists('audits', baseline)).toBe(true);
    expect(await exists('datasets', fresh.id)).toBe(true);
  });

  it('skips a tenant another process is purging (advisory lock), and an installation default applies to tenants without their own', async () => {
    const purge = new RetentionPurge(tenants, lifecycle, deletions, 10, logger);
    const held = await lifecycle.withRetentionLock(A, () => purge.purgeTenant(A, 30));
    expect(held).toMatchObject({ busy: true, audits: 0, datasets: 0 });
    // A tenant without its own period takes the installation's; with neither nothing is purged.
    await runInTenant(B, () => tenants.setRetentionDays(null));
    const bData = { members: await dataset(B, 20), nonMembers: await dataset(B, 20) };
    const withoutDefault = await new RetentionPurge(tenants, lifecycle, deletions, undefined, logger).runPass();
    expect(withoutDefault.tenants.map((t) => t.tenantId)).toEqual([A]);
    expect(await exists('datasets', bData.members.id)).toBe(true);
    const withDefault = await purge.runPass();
    expect(withDefault.tenants.find((t) => t.tenantId === B)).toMatchObject({ retentionDays: 10 });
    expect(await exists('datasets', bData.members.id)).toBe(false);
  });

  it('two replicas purging at once delete each subject once, with one receipt each', async () => {
    const { versionId } = await model(A);
    const subjects: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ds = { members: (await dataset(A, 45)).id, nonMembers: (await dataset(A, 45)).id };
      subjects.push(ds.members, ds.nonMembers, await audit(A, versionId, ds, 'succeeded', 45));
    }
    const before = (await receipts()).length;
    const replicas = [1, 2].map(() => new RetentionPurge(tenants, lifecycle, deletions, 10, logger));
    const passes = await Promise.all(replicas.map((r) => r.runPass()));
    const ofA = passes.map((p) => p.tenants.find((t) => t.tenantId === A)!);
    expect(ofA.reduce((n, o) => n + o.audits, 0)).toBe(3);
    expect(ofA.reduce((n, o) => n + o.datasets, 0)).toBe(6);
    const made = (await receipts()).slice(before).filter((r) => subjects.includes(r.subjectId));
    expect(made.map((r) => r.subjectId).sort()).toEqual([...subjects].sort());
    // Without the tenant lock, the row lock still makes a second deletion of the same subject find nothing.
    const d = await dataset(A, 45);
    const both = await Promise.allSettled([
      runInTenant(A, () => deletions.deleteDataset(d.id, null, { reason: 'retention', retentionDays: 30 })),
      runInTenant(A, () => deletions.deleteDataset(d.id, null, { reason: 'retention', retentionDays: 30 })),
    ]);
    expect(both.map((b) => b.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(String((both.find((b) => b.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/not found/);
    expect((await receipts()).filter((r) => r.subjectId === d.id)).toHaveLength(1);
  });

  it('seals a dataset stored before encryption at rest in place; it reads back through the normal path', async () => {
    // A legacy upload: the blob is the plaintext, named by its sha256; key_id NULL.
    const plain = `row_id,age,label\n${randomUUID()},40,1\n`;
    const plainSha = sha(plain);
    const tmp = join(blobs.tempDir(), randomUUID());
    writeFileSync(tmp, plain);
    await blobs.adopt(tmp, plainSha);
    const insertLegacy = async () =>
      (
        await dataSource.query(
          `INSERT INTO datasets (tenant_id, name, role, label_column, sha256, size_bytes, rows, columns)
           VALUES ($1, 'legacy', 'members', 'label', $2, $3, 1, '[]') RETURNING id`,
          [B, plainSha, plain.length],
        )
      )[0].id as string;
    const legacy = await insertLegacy();
    const sibling = await insertLegacy(); // the same bytes uploaded twice: one plaintext blob for both
    // An active audit on the sibling: its plaintext may still be read, so it stays until the next run.
    const { versionId } = await model(B);
    const other = await dataset(B, 0);
    const active = await audit(B, versionId, { members: sibling, nonMembers: other.id }, 'queued', 0);

    const sealer = new LegacyDatasetSealer(db, keyring, blobs);
    expect(await sealer.run()).toEqual({
      sealed: 2,
      raced: 0,
      missing: 0,
      mismatched: 0,
      plaintextRemoved: 0,
      plaintextKept: 1,
    });
    expect(await blobExists(plainSha)).toBe(true);
    const datasets = new TypeOrmDatasetRepository(db);
    for (const id of [legacy, sibling]) {
      const record = await runInTenant(B, () => datasets.findById(id));
      expect(record?.keyId).toEqual(expect.any(String));
      expect(record?.blobSha256).not.toBe(plainSha);
      // The stored file is sealed: no plaintext in it.
      expect(readFileSync(blobs.localPath(record!.blobSha256!)).includes(Buffer.from('row_id'))).toBe(false);
      const [key] = await dataSource.query(`SELECT tenant_id FROM data_keys WHERE id = $1`, [record!.keyId]);
      expect(key.tenant_id).toBe(B);
    }

    // The audit ends: a second run removes the plaintext; nothing else changes.
    await dataSource.query(`UPDATE audits SET status = 'cancelled', finished_at = now() WHERE id = $1`, [active]);
    expect(await sealer.run()).toMatchObject({ sealed: 0, plaintextRemoved: 1, plaintextKept: 0 });
    expect(await blobExists(plainSha)).toBe(false);
    expect(await sealer.run()).toMatchObject({ sealed: 0, plaintextRemoved: 0, plaintextKept: 0 });

    // Read back as every reader does: the row's key and sealed blob, opened and verified.
    const record = await runInTenant(B, () => datasets.findById(legacy));
    const out = join(dir, 'opened.csv');
    await runInTenant(B, () => vault.openFile(record!, out, 'dataset legacy'));
    expect(readFileSync(out, 'utf8')).toBe(plain);
    // A dataset deleted afterwards goes as any sealed one: key destroyed, sealed file removed.
    const receipt = await runInTenant(B, () => deletions.deleteDataset(legacy, randomUUID()));
    expect(receipt.items[1]).toMatchObject({ type: 'data-key', id: record!.keyId });
    expect(await blobExists(record!.blobSha256!)).toBe(false);
  });

  it('reports a legacy dataset whose plaintext file is missing or changed, and leaves it unsealed', async () => {
    const [missing] = await dataSource.query(
      `INSERT INTO datasets (tenant_id, name, role, label_column, sha256, size_bytes, rows, columns)
       VALUES ($1, 'gone', 'members', 'label', $2, 1, 1, '[]') RETURNING id`,
      [A, 'f'.repeat(64)],
    );
    const changedSha = sha('original');
    const tmp = join(blobs.tempDir(), randomUUID());
    writeFileSync(tmp, 'tampered');
    await blobs.adopt(tmp, changedSha);
    await dataSource.query(
      `INSERT INTO datasets (tenant_id, name, role, label_column, sha256, size_bytes, rows, columns)
       VALUES ($1, 'changed', 'members', 'label', $2, 1, 1, '[]')`,
      [A, changedSha],
    );
    expect(await new LegacyDatasetSealer(db, keyring, blobs).run()).toMatchObject({
      sealed: 0,
      missing: 1,
      mismatched: 1,
    });
    const [row] = await dataSource.query(`SELECT key_id FROM datasets WHERE id = $1`, [missing.id]);
    expect(row.key_id).toBeNull();
    expect(await blobExists(changedSha)).toBe(true);
  });

  it('sweeps blob files no row uses (left by a crash), once old enough; keeps files rows use and fresh ones', async () => {
    const { versionId } = await model(A);
    const [members, nonMembers] = [await dataset(A, 0), await dataset(A, 0)];
    const auditId = await audit(A, versionId, { members: members.id, nonMembers: nonMembers.id }, 'succeeded', 0);
    const used = await artifact(A, auditId, 'surrogate.onnx', Buffer.from(`used ${randomUUID()}`));
    const store = async (text: string) => {
      const tmp = join(blobs.tempDir(), randomUUID());
      writeFileSync(tmp, text);
      await blobs.adopt(tmp, sha(text));
      return sha(text);
    };
    const orphan = await store(`left by a crash ${randomUUID()}`);
    const fresh = await store(`adopted a moment ago ${randomUUID()}`);
    const old = (Date.now() - 3 * 3_600_000) / 1000;
    for (const s of [used, orphan, members.blob]) utimesSync(blobs.localPath(s), old, old);

    expect(await sweepOrphanBlobs(db, blobs, 3_600_000, 2)).toEqual({ examined: 3, removed: 1 });
    expect(await blobExists(orphan)).toBe(false);
    for (const s of [used, fresh, members.blob]) expect(await blobExists(s)).toBe(true);
    expect(await sweepOrphanBlobs(db, blobs, 3_600_000)).toEqual({ examined: 2, removed: 0 });
  });
});
