// Two tenants, and tenant B tries every route on tenant A's objects. The routes are read from the compiled
// controllers, so a new route fails this suite until it says how it is crossed (or why it holds no tenant's
// object). Each crossing is sent twice, with the same body: by B it must answer 404 NOT_FOUND (never 403: the
// object's existence does not leak), by A anything but NOT_FOUND (so the request itself is sound and the 404 is
// the tenant boundary's). Lists answer B without any of A's ids. The worker runs B's audit in B's tenant: its rows
// are invisible to A, down to the database.
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { compiledApiRoutes } from '../fixtures/api-routes';
import { PENGUINS_SPEC } from '../fixtures/penguins';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { RunningService, sleep, startService } from './support/service-harness';
import { createModel, uploadDataset, uploadModelVersion, waitForAudit } from './support/service-requests';
import { DEFAULT_TENANT_ID } from '../../libs/persistence/src/tenancy/tenant-context';

jest.setTimeout(240_000);

const WEBHOOK_SECRET = `whsec-${'t'.repeat(40)}`;

interface TenantObjects {
  key: string;
  modelId: string;
  versionId: string;
  membersId: string;
  nonMembersId: string;
  auditId: string;
  spareKeyId: string;
  /** Deleted by the DELETE crossings (A deletes its own), so the objects above stay for the other routes. */
  spareModelId: string;
  spareVersionId: string;
  spareDatasetId: string;
  spareAuditId: string;
  /** The receipt of a dataset deleted while populating. */
  receiptId: string;
  subscriptionId: string;
}

describe("tenants: every route refuses another tenant's objects with 404 (real api, worker, Postgres)", () => {
  let svc: RunningService;
  let A: TenantObjects;
  let B: TenantObjects;
  let tenantB: string;
  let keyDir: string | undefined;
  const http = () => request(svc.baseUrl);

  const waitFinished = (key: string, id: string) => waitForAudit(svc, id, { key, timeoutMs: 120_000 });

  async function populate(key: string, label: string): Promise<TenantObjects> {
    const as = (r: request.Test) => r.set('x-api-key', key);
    const modelId = await createModel(svc, `model ${label}`, key);
    const versionId = (await uploadModelVersion(svc, modelId, digitsModelOnnx(), key)).id;
    const dataset = (role: string, csv: string) => uploadDataset(svc, { name: `${role} ${label}`, role, csv }, key);
    const membersId = await dataset('members', digitsCsv(0, 60));
    const nonMembersId = await dataset('non-members', digitsCsv(60, 120));
    const succeededAudit = async () => {
      const id = (
        await as(http().post('/audits'))
          .send({
            modelVersionId: versionId,
            membersDatasetId: membersId,
            nonMembersDatasetId: nonMembersId,
            attacks: ['membership.loss'],
          })
          .expect(201)
      ).body.id as string;
      expect((await waitFinished(key, id)).status).toBe('succeeded');
      return id;
    };
    const auditId = await succeededAudit();
    const spareKeyId = (
      await as(http().post('/api-keys'))
        .send({ name: `spare ${label}`, role: 'auditor' })
        .expect(201)
    ).body.id;
    const spareModelId = await createModel(svc, `spare model ${label}`, key);
    const spareVersionId = (await uploadModelVersion(svc, spareModelId, digitsModelOnnx(), key)).id;
    const spareDatasetId = await dataset('population', digitsCsv(120, 180));
    const spareAuditId = await succeededAudit();
    const subscriptionId = (
      await as(http().post(`/models/${modelId}/notifications`))
        .send({ url: 'http://127.0.0.1:9/hook', events: ['audit.failed'] })
        .expect(201)
    ).body.id as string;
    const receiptId = (
      await as(http().delete(`/datasets/${await dataset('population', digitsCsv(180, 200))}`)).expect(200)
    ).body.id;
    return {
      subscriptionId,
      key,
      modelId,
      versionId,
      membersId,
      nonMembersId,
      auditId,
      spareKeyId,
      spareModelId,
      spareVersionId,
      spareDatasetId,
      spareAuditId,
      receiptId,
    };
  }

  beforeAll(async () => {
    // A signing key, so the .sig routes reach their audit lookup (without one they answer 404 to everyone).
    keyDir = mkdtempSync(join(tmpdir(), 'privaudit-tenants-'));
    const keyFile = join(keyDir, 'service-key.pem');
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    svc = await startService('tenants', {
      env: {
        OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
        REPORT_SIGNING_KEY_FILE: keyFile,
        MODEL_REGISTRY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        // Schedules every 2 s are allowed here, so a tick comes within the test.
        MIN_SCHEDULE_INTERVAL_SECONDS: '2',
      },
    });
    const created = await http()
      .post('/tenants')
      .set('x-api-key', svc.adminKey)
      .send({ name: 'tenant b', queriesPerMonth: 5000 })
      .expect(201);
    expect(created.body).toMatchObject({
      name: 'tenant b',
      quotas: { queriesPerMonth: 5000 },
      adminKey: { role: 'admin' },
    });
    tenantB = created.body.id;
    A = await populate(svc.adminKey, 'a');
    B = await populate(created.body.adminKey.key as string, 'b');
  });
  afterAll(async () => {
    await svc?.stop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  /** One request per route that names an object, sent by `key` against tenant `o`'s objects. */
  const crossings: Record<string, (key: string, o: TenantObjects) => request.Test> = {
    'GET /models/:id': (k, o) => http().get(`/models/${o.modelId}`).set('x-api-key', k),
    'GET /models/:id/versions': (k, o) => http().get(`/models/${o.modelId}/versions`).set('x-api-key', k),
    'POST /models/:id/versions': (k, o) =>
      http()
        .post(`/models/${o.modelId}/versions`)
        .set('x-api-key', k)
        .set('content-type', 'application/octet-stream')
        .send(digitsModelOnnx(5)),
    'POST /models/:id/endpoint-versions': (k, o) =>
      http()
        .post(`/models/${o.modelId}/endpoint-versions`)
        .set('x-api-key', k)
        .send({ url: 'http://127.0.0.1:9/v2/models/m/infer', protocol: 'kserve-v2', numClasses: 10, nFeatures: 64 }),
    'GET /models/:id/audits': (k, o) => http().get(`/models/${o.modelId}/audits`).set('x-api-key', k),
    'PUT /models/:id/audit-plan': (k, o) =>
      http()
        .put(`/models/${o.modelId}/audit-plan`)
        .set('x-api-key', k)
        .send({ membersDatasetId: o.membersId, nonMembersDatasetId: o.nonMembersId }),
    'GET /models/:id/audit-plan': (k, o) => http().get(`/models/${o.modelId}/audit-plan`).set('x-api-key', k),
    'DELETE /models/:id/audit-plan': (k, o) => http().delete(`/models/${o.modelId}/audit-plan`).set('x-api-key', k),
    'POST /models/:id/notifications': (k, o) =>
      http()
        .post(`/models/${o.modelId}/notifications`)
        .set('x-api-key', k)
        .send({ url: 'http://127.0.0.1:9/other', events: ['audit.failed'] }),
    'GET /models/:id/notifications': (k, o) => http().get(`/models/${o.modelId}/notifications`).set('x-api-key', k),
    'GET /models/:id/notifications/:subscriptionId': (k, o) =>
      http().get(`/models/${o.modelId}/notifications/${o.subscriptionId}`).set('x-api-key', k),
    'GET /models/:id/notifications/:subscriptionId/deliveries': (k, o) =>
      http().get(`/models/${o.modelId}/notifications/${o.subscriptionId}/deliveries`).set('x-api-key', k),
    'DELETE /models/:id/notifications/:subscriptionId': (k, o) =>
      http().delete(`/models/${o.modelId}/notifications/${o.subscriptionId}`).set('x-api-key', k),
    'GET /model-versions/:id': (k, o) => http().get(`/model-versions/${o.versionId}`).set('x-api-key', k),
    'POST /model-versions/:id/ownership/verify': (k, o) =>
      http().post(`/model-versions/${o.versionId}/ownership/verify`).set('x-api-key', k),
    'PUT /model-versions/:id/preprocessing': (k, o) =>
      http()
        .put(`/model-versions/${o.versionId}/preprocessing`)
        .set('x-api-key', k)
        .set('content-type', 'application/json')
        .send(readFileSync(PENGUINS_SPEC, 'utf8')),
    'GET /model-versions/:id/preprocessing': (k, o) =>
      http().get(`/model-versions/${o.versionId}/preprocessing`).set('x-api-key', k),
    'GET /datasets/:id': (k, o) => http().get(`/datasets/${o.membersId}`).set('x-api-key', k),
    'POST /audits': (k, o) =>
      http()
        .post('/audits')
        .set('x-api-key', k)
        .send({ modelVersionId: o.versionId, membersDatasetId: o.membersId, nonMembersDatasetId: o.nonMembersId }),
    'GET /audits/:id': (k, o) => http().get(`/audits/${o.auditId}`).set('x-api-key', k),
    'GET /audits/:id/diff': (k, o) => http().get(`/audits/${o.auditId}/diff`).set('x-api-key', k),
    'POST /audits/:id/cancel': (k, o) => http().post(`/audits/${o.auditId}/cancel`).set('x-api-key', k),
    'GET /audits/:id/findings': (k, o) => http().get(`/audits/${o.auditId}/findings`).set('x-api-key', k),
    'GET /audits/:id/report': (k, o) => http().get(`/audits/${o.auditId}/report`).set('x-api-key', k),
    'GET /audits/:id/report.pdf': (k, o) => http().get(`/audits/${o.auditId}/report.pdf`).set('x-api-key', k),
    'GET /audits/:id/report.html': (k, o) => http().get(`/audits/${o.auditId}/report.html`).set('x-api-key', k),
    'GET /audits/:id/report.pdf.sig': (k, o) => http().get(`/audits/${o.auditId}/report.pdf.sig`).set('x-api-key', k),
    'GET /audits/:id/report.html.sig': (k, o) => http().get(`/audits/${o.auditId}/report.html.sig`).set('x-api-key', k),
    'GET /audits/:id/artifacts': (k, o) => http().get(`/audits/${o.auditId}/artifacts`).set('x-api-key', k),
    // A's own answer is a 404 too, naming the artefact rather than the audit (the audit has none).
    'GET /audits/:id/artifacts/:name': (k, o) =>
      http().get(`/audits/${o.auditId}/artifacts/surrogate.onnx`).set('x-api-key', k),
    'POST /api-keys/:id/rotate': (k, o) => http().post(`/api-keys/${o.spareKeyId}/rotate`).set('x-api-key', k).send({}),
    'DELETE /api-keys/:id': (k, o) => http().delete(`/api-keys/${o.spareKeyId}`).set('x-api-key', k),
    'GET /deletion-receipts/:id': (k, o) => http().get(`/deletion-receipts/${o.receiptId}`).set('x-api-key', k),
    // The spare version before its model, so each DELETE by A finds its object and answers a receipt.
    'DELETE /model-versions/:id': (k, o) => http().delete(`/model-versions/${o.spareVersionId}`).set('x-api-key', k),
    'DELETE /models/:id': (k, o) => http().delete(`/models/${o.spareModelId}`).set('x-api-key', k),
    'DELETE /datasets/:id': (k, o) => http().delete(`/datasets/${o.spareDatasetId}`).set('x-api-key', k),
    'DELETE /audits/:id': (k, o) => http().delete(`/audits/${o.spareAuditId}`).set('x-api-key', k),
  };

  /** Routes that list the caller's objects: B's answer holds none of A's ids. */
  const lists: Record<string, string> = {
    'GET /models': '/models',
    'GET /datasets': '/datasets',
    'GET /api-keys': '/api-keys',
    'GET /access-log': '/access-log',
    'GET /tenants/current': '/tenants/current',
  };

  /** Routes that name no existing object, and why crossing them means nothing (each checked below or elsewhere). */
  const namingNoObject: Record<string, string> = {
    'POST /models': "creates in the caller's tenant (checked: B's new model is not in A's list)",
    'POST /datasets': "creates in the caller's tenant (checked through populate: each tenant sees its own)",
    'POST /api-keys': "creates a key of the caller's tenant (checked: B's spare key is not in A's list)",
    'POST /tenants': "installation admin only (checked: B's admin gets 403)",
    'PATCH /tenants/current':
      "changes the caller's own tenant, named by its key (checked in retention.e2e: B's change leaves A's as it was)",
    'GET /health': 'public, no tenant data',
    'GET /health/live': 'public, no tenant data',
    'GET /health/ready': 'public, no tenant data',
    'GET /metrics': 'public, installation-wide counts only',
    'GET /signing-key': "public, the installation's report-signing key",
    'POST /webhooks/model-registry': "signed with the installation's secret; runs in the version's own tenant",
    'GET /tenants/current/pseudonym-key': "the caller's own tenant's key (checked: B never sees A's keyId)",
    'PUT /tenants/current/pseudonym-key': "sets the caller's own tenant's key (checked: A's key is unchanged)",
    'POST /tenants/current/pseudonym-key': "generates the caller's own tenant's key (checked: A's key is unchanged)",
    'PATCH /tenants/current/pseudonym-key': "the caller's own tenant's default (checked: A's default is unchanged)",
    'DELETE /tenants/current/pseudonym-key': "removes the caller's own tenant's key (checked: A's key stays)",
  };

  it('knows every route of the api (a new route must be added to this suite)', () => {
    const known = new Set([...Object.keys(crossings), ...Object.keys(lists), ...Object.keys(namingNoObject)]);
    const routes = compiledApiRoutes().routes.map((r) => r.route);
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !known.has(r))).toEqual([]);
    expect([...known].filter((r) => !routes.includes(r))).toEqual([]);
  });

  it("answers tenant B 404 NOT_FOUND on every route naming tenant A's object, and tenant A not", async () => {
    const outcomes: Array<{ route: string; b: string; a: string }> = [];
    // B's answer: 404 NOT_FOUND naming the object as missing. A's: anything else (a 404 of A's own, such as "no
    // preprocessing spec", differs in its message), so the 404 B got is the tenant boundary, not the request.
    const said = (res: request.Response) =>
      `${res.status} ${(res.body as { code?: string })?.code ?? ''} ${(res.body as { message?: string })?.message ?? ''}`;
    for (const [route, send] of Object.entries(crossings)) {
      const byB = await send(B.key, A);
      const byA = await send(A.key, A);
      outcomes.push({ route, b: said(byB), a: said(byA) });
    }
    const wrong = outcomes.filter((o) => !/^404 NOT_FOUND .*not found$/.test(o.b) || o.a === o.b);
    expect(wrong).toEqual([]);
  });

  it("lists to tenant B none of tenant A's objects", async () => {
    const aIds = [A.modelId, A.versionId, A.membersId, A.nonMembersId, A.auditId, A.spareKeyId];
    for (const [route, path] of Object.entries(lists)) {
      const res = await http().get(path).set('x-api-key', B.key);
      expect({ route, status: res.status }).toEqual({ route, status: 200 });
      const text = JSON.stringify(res.body);
      expect({ route, leaked: aIds.filter((id) => text.includes(id)) }).toEqual({ route, leaked: [] });
    }
    // And A's lists show A's objects (the lists are not simply empty).
    expect(JSON.stringify((await http().get('/models').set('x-api-key', A.key).expect(200)).body)).toContain(A.modelId);
    expect(JSON.stringify((await http().get('/models').set('x-api-key', A.key).expect(200)).body)).not.toContain(
      B.modelId,
    );
    expect(JSON.stringify((await http().get('/api-keys').set('x-api-key', A.key).expect(200)).body)).not.toContain(
      B.spareKeyId,
    );
    expect((await http().get('/tenants/current').set('x-api-key', B.key).expect(200)).body).toMatchObject({
      id: tenantB,
    });
  });

  it("keeps each tenant's pseudonym key its own: B never sees, changes or removes A's", async () => {
    const asA = (r: request.Test) => r.set('x-api-key', A.key);
    const asB = (r: request.Test) => r.set('x-api-key', B.key);
    const a = (await asA(http().post('/tenants/current/pseudonym-key')).send({}).expect(201)).body;
    await asB(http().get('/tenants/current/pseudonym-key')).expect(404);
    await asB(http().patch('/tenants/current/pseudonym-key')).send({ pseudonymizeByDefault: true }).expect(404);
    await asB(http().delete('/tenants/current/pseudonym-key')).expect(404);
    const b = (
      await asB(http().put('/tenants/current/pseudonym-key'))
        .send({ key: 'cd'.repeat(32) })
        .expect(200)
    ).body;
    expect(b.keyId).not.toBe(a.keyId);
    await asB(http().patch('/tenants/current/pseudonym-key')).send({ pseudonymizeByDefault: true }).expect(200);
    await asB(http().delete('/tenants/current/pseudonym-key')).expect(200);
    expect((await asA(http().get('/tenants/current/pseudonym-key')).expect(200)).body).toMatchObject({
      keyId: a.keyId,
      pseudonymizeByDefault: false,
    });
    // B's pseudonymised audit cannot use A's key: B has none now.
    const refused = await asB(http().post('/audits'))
      .send({
        modelVersionId: B.versionId,
        membersDatasetId: B.membersId,
        nonMembersDatasetId: B.nonMembersId,
        pseudonymizeIds: true,
      })
      .expect(422);
    expect(refused.body.code).toBe('PSEUDONYM_KEY_MISSING');
    await asA(http().delete('/tenants/current/pseudonym-key')).expect(200);
  });

  it("refuses POST /tenants to a tenant's admin (installation admin only)", async () => {
    const res = await http().post('/tenants').set('x-api-key', B.key).send({ name: 'tenant c' }).expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const dup = await http().post('/tenants').set('x-api-key', svc.adminKey).send({ name: 'tenant b' }).expect(409);
    expect(dup.body.code).toBe('TENANT_NAME_TAKEN');
  });

  it("runs tenant B's audit in B's tenant: its rows are B's, and A's database session cannot see them", async () => {
    const tenantOf = async (table: string, column: string, id: string) =>
      (await svc.db.query(`SELECT DISTINCT tenant_id FROM ${table} WHERE ${column} = $1`, [id])) as Array<{
        tenant_id: string;
      }>;
    expect(await tenantOf('audits', 'id', B.auditId)).toEqual([{ tenant_id: tenantB }]);
    expect(await tenantOf('findings', 'audit_id', B.auditId)).toEqual([{ tenant_id: tenantB }]);
    const visible = (tenant: string) =>
      svc.db.transaction(async (em) => {
        await em.query(`SELECT set_config('role', 'privaudit_app', true), set_config('app.tenant_id', $1, true)`, [
          tenant,
        ]);
        return Number((await em.query(`SELECT count(*) AS n FROM findings WHERE audit_id = $1`, [B.auditId]))[0].n);
      });
    expect(await visible(tenantB)).toBeGreaterThan(0);
    expect(await visible(DEFAULT_TENANT_ID)).toBe(0);
    // And over HTTP: A's key gets 404 on B's audit and its findings.
    await http().get(`/audits/${B.auditId}/findings`).set('x-api-key', A.key).expect(404);
  });

  it("runs a webhook's re-audit in the announced version's tenant", async () => {
    await http()
      .put(`/models/${B.modelId}/audit-plan`)
      .set('x-api-key', B.key)
      .send({ membersDatasetId: B.membersId, nonMembersDatasetId: B.nonMembersId, attacks: ['membership.loss'] })
      .expect(200);
    const body = JSON.stringify({ modelVersionId: B.versionId });
    const ts = Math.floor(Date.now() / 1000);
    const res = await http()
      .post('/webhooks/model-registry')
      .set({
        'content-type': 'application/json',
        'x-privaudit-timestamp': String(ts),
        'x-privaudit-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${body}`).digest('hex')}`,
      })
      .send(body)
      .expect(202);
    expect(res.body).toMatchObject({ status: 'accepted', reaudit: { status: 'queued' } });
    const auditId = res.body.reaudit.auditId as string;
    expect(await svc.db.query(`SELECT tenant_id FROM audits WHERE id = $1`, [auditId])).toEqual([
      { tenant_id: tenantB },
    ]);
    await http().get(`/audits/${auditId}`).set('x-api-key', A.key).expect(404);
    expect((await waitFinished(B.key, auditId)).status).toBe('succeeded');
  });

  it("runs a scheduled re-audit's tick in the plan's tenant", async () => {
    await http()
      .put(`/models/${B.modelId}/audit-plan`)
      .set('x-api-key', B.key)
      .send({
        membersDatasetId: B.membersId,
        nonMembersDatasetId: B.nonMembersId,
        attacks: ['membership.loss'],
        schedule: '*/2 * * * * *',
      })
      .expect(200);
    const deadline = Date.now() + 30_000;
    let ticked: Array<{ id: string; tenant_id: string }> = [];
    while (ticked.length === 0 && Date.now() < deadline) {
      await sleep(500);
      ticked = await svc.db.query(`SELECT id, tenant_id FROM audits WHERE "trigger" = 'schedule'`);
    }
    await http().delete(`/models/${B.modelId}/audit-plan`).set('x-api-key', B.key).expect(204);
    expect(ticked.length).toBeGreaterThan(0);
    expect(ticked.every((a) => a.tenant_id === tenantB)).toBe(true);
    await http().get(`/audits/${ticked[0]!.id}`).set('x-api-key', A.key).expect(404);
    for (const a of await svc.db.query(`SELECT id FROM audits WHERE "trigger" = 'schedule'`)) {
      await waitFinished(B.key, (a as { id: string }).id);
    }
  });

  it("refuses audits over the tenant's monthly quotas with 429 TENANT_QUOTA_EXCEEDED", async () => {
    const asB = (r: request.Test) => r.set('x-api-key', B.key);
    const before = (await asB(http().get('/tenants/current')).expect(200)).body;
    expect(before).toMatchObject({ quotas: { queriesPerMonth: 5000 }, usage: { queries: 0 } });
    // Queries: an endpoint audit reserves its budget (default 10000) against B's 5000 a month.
    const endpoint = await asB(http().post(`/models/${B.modelId}/endpoint-versions`))
      .send({ url: 'http://127.0.0.1:9/v2/models/m/infer', protocol: 'kserve-v2', numClasses: 10, nFeatures: 64 })
      .expect(201);
    const overQueries = await asB(http().post('/audits'))
      .send({ modelVersionId: endpoint.body.id, membersDatasetId: B.membersId, nonMembersDatasetId: B.nonMembersId })
      .expect(429);
    expect(overQueries.body).toMatchObject({ code: 'TENANT_QUOTA_EXCEEDED', details: { quota: 'queriesPerMonth' } });
    // Reference-model seconds: a tenant allowed almost none cannot commission an audit that trains any.
    const c = await http()
      .post('/tenants')
      .set('x-api-key', svc.adminKey)
      .send({ name: 'tenant c', referenceSecondsPerMonth: 0.001 })
      .expect(201);
    const keyC = c.body.adminKey.key as string;
    const asC = (r: request.Test) => r.set('x-api-key', keyC);
    const versionId = (await uploadModelVersion(svc, await createModel(svc, 'c', keyC), digitsModelOnnx(), keyC)).id;
    const dataset = (role: string, csv: string) => uploadDataset(svc, { name: role, role, csv }, keyC);
    const overSeconds = await asC(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: await dataset('members', digitsCsv(0, 60)),
        nonMembersDatasetId: await dataset('non-members', digitsCsv(60, 120)),
        populationDatasetId: await dataset('population', digitsCsv(120, 320)),
        attacks: ['membership.rmia'],
        referenceModels: 2,
      })
      .expect(429);
    expect(overSeconds.body).toMatchObject({
      code: 'TENANT_QUOTA_EXCEEDED',
      details: { quota: 'referenceSecondsPerMonth', limit: 0.001 },
    });
    expect(await svc.db.query(`SELECT id FROM audits WHERE tenant_id = $1`, [c.body.id])).toEqual([]);
  });
});
