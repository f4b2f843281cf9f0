// POST /webhooks/model-registry over HTTP against the real api, worker, Postgres and Redis: a registry holding the
// shared secret announces a version (generic form and MLflow's) and a re-audit is queued under the model's plan;
// unsigned, badly signed, stale and replayed calls get 401 and queue nothing.
import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { RunningService, sleep, startService } from './support/service-harness';
import { createModel, uploadDataset, uploadModelVersion } from './support/service-requests';

jest.setTimeout(180_000);

const SECRET = `whsec-${'k'.repeat(40)}`;
const now = () => Math.floor(Date.now() / 1000);

function genericHeaders(body: string, ts = now(), secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-privaudit-timestamp': String(ts),
    'x-privaudit-signature': `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`,
  };
}

function mlflowHeaders(body: string, delivery: string, ts = now()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-mlflow-timestamp': String(ts),
    'x-mlflow-delivery-id': delivery,
    'x-mlflow-signature': `v1,${createHmac('sha256', SECRET).update(`${delivery}.${ts}.${body}`).digest('base64')}`,
  };
}

describe('model-registry webhook over HTTP (real Postgres, Redis, worker)', () => {
  let svc: RunningService;
  let modelId: string;
  const http = () => request(svc.baseUrl);
  const asAdmin = (r: request.Test) => r.set('x-api-key', svc.adminKey);
  const hook = (body: string, headers: Record<string, string>) =>
    http().post('/webhooks/model-registry').set(headers).send(body);
  const auditCount = async () =>
    (await asAdmin(http().get(`/models/${modelId}/audits`)).expect(200)).body.total as number;

  const uploadVersion = async (onnx: Buffer) =>
    (await uploadModelVersion(svc, modelId, onnx)) as { id: string; reaudit: unknown };

  beforeAll(async () => {
    svc = await startService('webhook', { env: { MODEL_REGISTRY_WEBHOOK_SECRET: SECRET } });
    const upload = (name: string, role: string, csv: string) =>
      uploadDataset(svc, { name, role, csv, idColumn: 'row_id' });
    const membersDatasetId = await upload('m', 'members', digitsCsv(0, 30, { withId: true }));
    const nonMembersDatasetId = await upload('n', 'non-members', digitsCsv(30, 60, { withId: true }));
    modelId = await createModel(svc, 'registry-fed');
    // Uploads queue nothing themselves here: what queues is the registry's announcement.
    await asAdmin(http().put(`/models/${modelId}/audit-plan`))
      .send({ membersDatasetId, nonMembersDatasetId, attacks: ['membership.loss'], reauditOnNewVersion: false })
      .expect(200);
  });
  afterAll(async () => svc?.stop());

  it('queues a re-audit for a signed generic call once; unsigned, badly signed, stale and replayed calls get 401', async () => {
    const v1 = await uploadVersion(digitsModelOnnx(1));
    expect(v1.reaudit).toEqual({ status: 'disabled' });
    const body = JSON.stringify({ modelVersionId: v1.id });

    const unsigned = await hook(body, { 'content-type': 'application/json' }).expect(401);
    expect(unsigned.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(unsigned.body.message).toMatch(/unsigned call/);
    expect((await hook(body, genericHeaders(body, now(), `${SECRET}x`)).expect(401)).body.message).toMatch(
      /bad signature/,
    );
    // Signed for another body: the signature covers the body.
    const other = JSON.stringify({ modelVersionId: randomUUID() });
    expect((await hook(body, genericHeaders(other)).expect(401)).body.message).toMatch(/bad signature/);
    expect((await hook(body, genericHeaders(body, now() - 301)).expect(401)).body.message).toMatch(/stale call/);
    expect(await auditCount()).toBe(0);

    const headers = genericHeaders(body);
    const accepted = await hook(body, headers).expect(202);
    expect(accepted.body).toMatchObject({
      form: 'generic',
      status: 'accepted',
      modelId,
      modelVersionId: v1.id,
      reaudit: { status: 'queued' },
    });
    const replay = await hook(body, headers).expect(401);
    expect(replay.body.message).toMatch(/replayed call/);
    expect(await auditCount()).toBe(1);

    const auditId = accepted.body.reaudit.auditId as string;
    let audit = (await asAdmin(http().get(`/audits/${auditId}`)).expect(200)).body;
    for (let i = 0; i < 300 && ['queued', 'running'].includes(audit.status as string); i++) {
      await sleep(300);
      audit = (await asAdmin(http().get(`/audits/${auditId}`)).expect(200)).body;
    }
    expect(audit).toMatchObject({ status: 'succeeded', trigger: 'webhook', modelVersionId: v1.id });
  });

  it("takes MLflow's model_version.created (tag or source naming the privaudit version); replayed delivery ids get 401", async () => {
    const v2 = await uploadVersion(digitsModelOnnx(2));
    const delivery = randomUUID();
    const created = JSON.stringify({
      entity: 'model_version',
      action: 'created',
      timestamp: new Date().toISOString(),
      data: {
        name: 'registry-fed',
        version: '2',
        source: 'models:/m-123',
        run_id: 'abcd1234',
        tags: { privaudit_model_version_id: v2.id },
        description: null,
      },
    });
    const accepted = await hook(created, mlflowHeaders(created, delivery)).expect(202);
    expect(accepted.body).toMatchObject({ form: 'mlflow', status: 'accepted', modelVersionId: v2.id });
    expect(accepted.body.reaudit.status).toBe('queued');
    // The same delivery id, freshly signed a second later: still a replay.
    await sleep(1100);
    expect((await hook(created, mlflowHeaders(created, delivery)).expect(401)).body.message).toMatch(/replayed/);

    // Other registry events are acknowledged and ignored.
    const alias = JSON.stringify({ entity: 'model_version_alias', action: 'created', data: { name: 'x', alias: 'a' } });
    expect((await hook(alias, mlflowHeaders(alias, randomUUID())).expect(202)).body).toEqual({
      form: 'mlflow',
      status: 'ignored',
      event: 'model_version_alias.created',
    });
    // A version known to MLflow only: refused with the reason, nothing queued.
    const unknown = JSON.stringify({ entity: 'model_version', action: 'created', data: { name: 'x', version: '9' } });
    const refused = await hook(unknown, mlflowHeaders(unknown, randomUUID())).expect(400);
    expect(refused.body.message).toMatch(/privaudit_model_version_id/);
    // By source instead of tag (a privaudit URL of the version); the active audit of v2 makes this one wait: 'not-queued'.
    const bySource = JSON.stringify({
      entity: 'model_version',
      action: 'created',
      data: { name: 'x', version: '2', source: `https://privaudit.example/model-versions/${v2.id}` },
    });
    const second = await hook(bySource, mlflowHeaders(bySource, randomUUID())).expect(202);
    expect(second.body.modelVersionId).toBe(v2.id);
    expect(['queued', 'not-queued']).toContain(second.body.reaudit.status);
  });
});
