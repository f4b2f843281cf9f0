// Retention per tenant through the real api (docs/security.md, "Retention"): the period is set at POST /tenants and
// by the tenant's admin (PATCH /tenants/current), shown by GET /tenants/current, refused like every malformed body
// (400 VALIDATION_FAILED naming the field); the api's scheduled purge (a BullMQ job scheduler, every second here)
// deletes the tenant's expired dataset with a receipt marked 'retention', while the default tenant (no period: kept
// until deleted) keeps its own.
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { digitsCsv } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';

jest.setTimeout(120_000);

describe('retention per tenant, with the scheduled purge (real api, Postgres, Redis)', () => {
  let svc: RunningService;
  const http = () => request(svc.baseUrl);
  let tenantB: { id: string; key: string };

  beforeAll(async () => {
    svc = await startService('retention', { worker: false, env: { RETENTION_PURGE_INTERVAL_SECONDS: '1' } });
  });
  afterAll(async () => svc?.stop());

  const upload = async (key: string, name: string) =>
    (
      await http()
        .post('/datasets')
        .query({ name, role: 'members', labelColumn: 'digit' })
        .set('x-api-key', key)
        .set('content-type', 'text/csv')
        .send(digitsCsv(0, 20))
        .expect(201)
    ).body.id as string;

  it('sets the period at POST /tenants and PATCH /tenants/current, shows it, refuses bad values naming the field', async () => {
    const bad = await http()
      .post('/tenants')
      .set('x-api-key', svc.adminKey)
      .send({ name: 'tenant b', retentionDays: 0 })
      .expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.message).toContain('retentionDays');
    const created = await http()
      .post('/tenants')
      .set('x-api-key', svc.adminKey)
      .send({ name: 'tenant b', retentionDays: 30 })
      .expect(201);
    expect(created.body).toMatchObject({ retentionDays: 30, retentionSource: 'tenant' });
    tenantB = { id: created.body.id, key: created.body.adminKey.key };

    // The default tenant has no period of its own and the installation none either: kept until deleted.
    expect((await http().get('/tenants/current').set('x-api-key', svc.adminKey).expect(200)).body).toMatchObject({
      retentionDays: null,
      retentionSource: 'installation',
    });

    const patch = (key: string, body: object) => http().patch('/tenants/current').set('x-api-key', key).send(body);
    for (const body of [{ retentionDays: 'ten' }, { retentionDays: 36_501 }, { retentionDays: 1.5 }, {}]) {
      const res = await patch(tenantB.key, body).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.body.message).toContain('retentionDays');
    }
    const unknown = await patch(tenantB.key, { retentionDays: 5, quotas: 1 }).expect(400);
    expect(unknown.body.message).toContain('quotas');
    const auditor = await http()
      .post('/api-keys')
      .set('x-api-key', tenantB.key)
      .send({ name: 'reader', role: 'auditor' })
      .expect(201);
    await patch(auditor.body.key, { retentionDays: 5 }).expect(403);

    const changed = await patch(tenantB.key, { retentionDays: 7 }).expect(200);
    expect(changed.body).toMatchObject({ id: tenantB.id, retentionDays: 7, retentionSource: 'tenant' });
    expect((await http().get('/tenants/current').set('x-api-key', tenantB.key).expect(200)).body).toMatchObject({
      retentionDays: 7,
    });
    // Another tenant's setting is untouched.
    expect((await http().get('/tenants/current').set('x-api-key', svc.adminKey).expect(200)).body).toMatchObject({
      retentionDays: null,
    });
  });

  it("purges tenant B's expired dataset on schedule with a 'retention' receipt; keeps B's new data and the default tenant's", async () => {
    const expired = await upload(tenantB.key, 'old');
    const recent = await upload(tenantB.key, 'new');
    const unlimited = await upload(svc.adminKey, 'kept');
    const [row] = await svc.db.query(`SELECT blob_sha256, key_id FROM datasets WHERE id = $1`, [expired]);
    await svc.db.query(`UPDATE datasets SET created_at = now() - interval '8 days' WHERE id = ANY($1::uuid[])`, [
      [expired, unlimited],
    ]);

    const deadline = Date.now() + 60_000;
    while ((await http().get(`/datasets/${expired}`).set('x-api-key', tenantB.key)).status !== 404) {
      if (Date.now() > deadline) throw new Error('the scheduled purge did not delete the expired dataset');
      await sleep(250);
    }
    await http().get(`/datasets/${recent}`).set('x-api-key', tenantB.key).expect(200);
    await http().get(`/datasets/${unlimited}`).set('x-api-key', svc.adminKey).expect(200);

    const [stored] = await svc.db.query(`SELECT id FROM deletion_receipts WHERE subject_id = $1`, [expired]);
    const receipt = (await http().get(`/deletion-receipts/${stored.id}`).set('x-api-key', tenantB.key).expect(200))
      .body;
    expect(receipt).toMatchObject({
      subjectType: 'dataset',
      subjectId: expired,
      reason: 'retention',
      retentionDays: 7,
      deletedBy: null,
      blobsRemoved: [row.blob_sha256],
    });
    expect(receipt.items[1]).toMatchObject({ type: 'data-key', id: row.key_id });
    // Another tenant cannot read it.
    await http().get(`/deletion-receipts/${stored.id}`).set('x-api-key', svc.adminKey).expect(404);
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/privaudit_retention_deletions\{subject="dataset"\} 1\b/);
    expect(metrics.text).toMatch(/privaudit_retention_deletions\{subject="audit"\} 0\b/);

    // Later ticks find nothing more to do: still one receipt, the other datasets still there.
    await sleep(2500);
    expect(Number((await svc.db.query(`SELECT count(*)::int AS n FROM deletion_receipts`))[0].n)).toBe(1);
    await http().get(`/datasets/${recent}`).set('x-api-key', tenantB.key).expect(200);
  });
});
