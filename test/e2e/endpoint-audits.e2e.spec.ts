// Model versions that are remote prediction endpoints (issue 7), through the service over real HTTP: a real local
// KServe v2 server (test/fixtures/inference-servers.ts) serves an ONNX model; the api registers it (loopback
// allow-listed by OUTBOUND_ALLOW_HOSTS, as an administrator would), the worker audits it within a query budget
// persisted as it goes. Refused destinations, an unproven host, a budget above the maximum and a failing
// endpoint each end with a clear error; the auth header's value never shows in a response or a captured log.
//
// No request leaves this machine: refused addresses are refused before any connection (IP literals, no DNS), and
// the one public address below (an unproven host) is only registered and refused, never queried.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { remoteTargetSha256, parseRemoteTargetSpec } from '../../libs/engine/src/targets/http/remote-target-spec';
import { fixtureTargetSpec, InferenceServer, startInferenceServer } from '../fixtures/inference-servers';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';
import { createModel, uploadDataset, waitForAudit } from './support/service-requests';

jest.setTimeout(240_000);

const SECRET = `Bearer sk-test-${randomBytes(12).toString('hex')}`;
const SECRET_VALUE = SECRET.slice('Bearer '.length);

describe('endpoint model versions: register, prove, audit within a query budget', () => {
  let svc: RunningService;
  let kserve: InferenceServer;
  let failing: InferenceServer;
  let malformed: InferenceServer;
  let modelId: string;
  let membersId: string;
  let nonMembersId: string;
  const http = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);
  const register = (body: Record<string, unknown>) =>
    as(http().post(`/models/${modelId}/endpoint-versions`)).send(body);
  const countRows = async (table: string) => Number((await svc.db.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    kserve = await startInferenceServer({
      protocol: 'kserve-v2',
      model: digitsModelOnnx(),
      requireHeaders: { authorization: SECRET },
    });
    failing = await startInferenceServer({ protocol: 'kserve-v2', misbehaviour: 'error-500' });
    malformed = await startInferenceServer({ protocol: 'kserve-v2', misbehaviour: 'malformed-json' });
    svc = await startService('endpoints', {
      env: {
        OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        DEFAULT_QUERY_BUDGET: '2000',
        MAX_QUERY_BUDGET: '20000',
        // Everything the api and worker log is captured: the secret must not be in it at any level.
        LOG_LEVEL: 'debug',
      },
    });
    modelId = await createModel(svc, 'digits-api');
    membersId = await uploadDataset(svc, { name: 'members', role: 'members', csv: digitsCsv(0, 100) });
    nonMembersId = await uploadDataset(svc, { name: 'nonmembers', role: 'non-members', csv: digitsCsv(100, 200) });
  });
  afterAll(async () => {
    await svc?.stop();
    await kserve?.close();
    await failing?.close();
    await malformed?.close();
  });

  const kserveBody = () => ({
    ...fixtureTargetSpec(kserve, 'kserve-v2'),
    headers: { Authorization: SECRET },
    numClasses: 10,
    nFeatures: 64,
  });

  const finished = (id: string) => waitForAudit(svc, id);

  let versionId: string;

  it('registers an allow-listed endpoint: header names only, secrets encrypted at rest, sha256 = the canonical spec hash', async () => {
    const res = await register(kserveBody()).expect(201);
    versionId = res.body.id;
    expect(res.body).toMatchObject({
      kind: 'endpoint',
      numClasses: 10,
      signature: { nFeatures: 64, numClasses: 10, outputKind: 'probabilities' },
      endpoint: { url: kserve.url + '/', protocol: 'kserve-v2', headerNames: ['authorization'], nFeatures: 64 },
      ownership: { required: false, verified: true },
    });
    const { nFeatures: _n, ...spec } = kserveBody();
    expect(res.body.sha256).toBe(remoteTargetSha256(parseRemoteTargetSpec(spec, 'test')));
    expect(JSON.stringify(res.body)).not.toContain(SECRET_VALUE);
    const stored: Array<{ endpoint_secrets: string; endpoint: unknown }> = await svc.db.query(
      `SELECT endpoint_secrets, endpoint FROM model_versions WHERE id = $1`,
      [versionId],
    );
    expect(stored[0]?.endpoint_secrets).toMatch(/^v1:/);
    expect(JSON.stringify(stored[0])).not.toContain(SECRET_VALUE);
    const again = await as(http().get(`/model-versions/${versionId}`)).expect(200);
    expect(JSON.stringify(again.body)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify((await as(http().get(`/models/${modelId}/versions`)).expect(200)).body)).not.toContain(
      SECRET_VALUE,
    );
    expect(kserve.requests).toBe(0); // registration checks the destination; it sends nothing
  });

  it.each([
    ['https://169.254.169.254/v2/models/m/infer', /cloud metadata/],
    ['https://10.0.0.1/', /private/],
    ['https://[::ffff:127.0.0.1]/', /IPv4-mapped/],
    ['https://127.0.0.2/', /loopback/],
    ['https://[::1]/', /loopback/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['http://8.8.8.8/', /https is required/],
  ])('refuses %s with 422 and the reason, storing nothing', async (url, reason) => {
    const before = await countRows('model_versions');
    const res = await register({ url, protocol: 'kserve-v2', modelName: 'm', numClasses: 10, nFeatures: 64 }).expect(
      422,
    );
    expect(res.body.code).toBe('TARGET_DESTINATION_REFUSED');
    expect(res.body.message).toMatch(reason);
    expect(await countRows('model_versions')).toBe(before);
  });

  it('refuses a malformed registration naming the field', async () => {
    const { nFeatures: _n, ...withoutFeatures } = kserveBody();
    expect((await register(withoutFeatures).expect(422)).body.message).toMatch(/'nFeatures' is required/);
    const { numClasses: _c, ...withoutClasses } = kserveBody();
    expect((await register(withoutClasses).expect(422)).body.message).toMatch(/'numClasses' is required/);
    const badProtocol = await register({ ...kserveBody(), protocol: 'grpc' }).expect(422);
    expect(badProtocol.body).toMatchObject({ code: 'INVALID_TARGET_SPEC' });
    expect(badProtocol.body.message).toMatch(/'protocol'/);
    const badHeader = await register({ ...kserveBody(), headers: { Authorization: 'x\r\ny' } }).expect(422);
    expect(badHeader.body.message).toMatch(/headers\.Authorization/);
    expect(JSON.stringify(badHeader.body)).not.toContain('x\\r\\ny');
  });

  it('gives a host that is not allow-listed an ownership token; its audit answers 422 with how to prove it', async () => {
    // A public address, only registered and refused here: nothing is ever sent to it.
    const res = await register({
      url: 'https://8.8.8.8/v2/models/m/infer',
      protocol: 'kserve-v2',
      numClasses: 10,
      nFeatures: 64,
    }).expect(201);
    expect(res.body.ownership).toMatchObject({ required: true, verified: false });
    expect(res.body.ownership.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(res.body.ownership.proofUrl).toMatch(
      /^https:\/\/8\.8\.8\.8\/\.well-known\/privaudit-verification\/[0-9a-f]{32}$/,
    );
    const before = await countRows('audits');
    const audit = await as(http().post('/audits'))
      .send({ modelVersionId: res.body.id, membersDatasetId: membersId, nonMembersDatasetId: nonMembersId })
      .expect(422);
    expect(audit.body.code).toBe('TARGET_OWNERSHIP_UNPROVEN');
    expect(audit.body.message).toContain(res.body.ownership.proofUrl);
    expect(audit.body.message).toContain(`/model-versions/${res.body.id}/ownership/verify`);
    expect(await countRows('audits')).toBe(before);
    // An allow-listed host needs no proof: verify answers at once, without a request.
    const verified = await as(http().post(`/model-versions/${versionId}/ownership/verify`)).expect(200);
    expect(verified.body.ownership).toMatchObject({ required: false, verified: true });
    expect(kserve.requests).toBe(0);
  });

  it('refuses a query budget above MAX_QUERY_BUDGET with 422 before anything is stored or queued', async () => {
    const before = await countRows('audits');
    const res = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        queryBudget: 20001,
      })
      .expect(422);
    expect(res.body).toMatchObject({ code: 'QUERY_BUDGET_TOO_LARGE', details: { maxQueryBudget: 20000 } });
    expect(res.body.message).toMatch(/MAX_QUERY_BUDGET/);
    expect(await countRows('audits')).toBe(before);
    expect(kserve.requests).toBe(0);
  });

  it('audits the endpoint over HTTP: findings stored, queries recorded as spent, the secret nowhere', async () => {
    const created = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss', 'membership.label-only'],
        queryBudget: 15000,
      })
      .expect(201);
    expect(created.body).toMatchObject({ queryBudget: 15000, queriesUsed: 0 });
    const done = await finished(created.body.id);
    expect(done.failure).toBeNull();
    expect(done.status).toBe('succeeded');
    // Every row the server received was recorded first; the budget held.
    expect(done.queriesUsed).toBeGreaterThanOrEqual(200);
    expect(done.queriesUsed).toBe(kserve.rowsReceived);
    expect(done.queriesUsed).toBeLessThanOrEqual(15000);
    const findings = await as(http().get(`/audits/${created.body.id}/findings`)).expect(200);
    expect(findings.body.map((f: { attack: string }) => f.attack).sort()).toEqual([
      'membership.label-only',
      'membership.loss',
    ]);
    const report = await as(http().get(`/audits/${created.body.id}/report`)).expect(200);
    const version = await as(http().get(`/model-versions/${versionId}`)).expect(200);
    expect(report.body.target).toMatchObject({ format: 'http', sha256: version.body.sha256 });
    expect(report.body.config.queries).toBeDefined();
    for (const body of [done, findings.body, report.body, version.body])
      expect(JSON.stringify(body)).not.toContain(SECRET_VALUE);
    const html = await as(http().get(`/audits/${created.body.id}/report.html`)).expect(200);
    expect(html.text).not.toContain(SECRET_VALUE);
    for (const p of [svc.api, ...svc.workers]) expect(p.output).not.toContain(SECRET_VALUE);
  });

  it('refuses an audit whose planned queries exceed its budget with 422 QUERY_BUDGET_EXCEEDED, before anything is stored or sent', async () => {
    const received = kserve.rowsReceived;
    const before = await countRows('audits');
    const res = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss', 'membership.label-only'],
      })
      .expect(422);
    // DEFAULT_QUERY_BUDGET (2000) is checked by the engine's prepareAudit at commission.
    expect(res.body).toMatchObject({ code: 'QUERY_BUDGET_EXCEEDED', details: { field: 'queryBudget' } });
    expect(res.body.message).toMatch(/needs \d+ queries but the query budget leaves 2000/);
    expect(await countRows('audits')).toBe(before);
    expect(kserve.rowsReceived).toBe(received);
  });

  it('ends the audit of an endpoint that answers 500 as failed TARGET_FAILED, with a clear message', async () => {
    const version = await register({
      ...fixtureTargetSpec(failing, 'kserve-v2'),
      numClasses: 10,
      nFeatures: 64,
    }).expect(201);
    const created = await as(http().post('/audits'))
      .send({
        modelVersionId: version.body.id,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss'],
        queryBudget: 1000,
      })
      .expect(201);
    const done = await finished(created.body.id);
    expect(done.status).toBe('failed');
    expect(done.failure.code).toBe('TARGET_FAILED');
    expect(done.failure.reason).toMatch(/500/);
    expect(done.failure.reason).toContain('127.0.0.1');
    // What the failing server received was recorded, and never more than the budget.
    expect(done.queriesUsed).toBe(failing.rowsReceived);
    expect(done.queriesUsed).toBeLessThanOrEqual(1000);
  });

  it('ends the audit of an endpoint that answers malformed JSON as failed TARGET_FAILED', async () => {
    const version = await register({
      ...fixtureTargetSpec(malformed, 'kserve-v2'),
      numClasses: 10,
      nFeatures: 64,
    }).expect(201);
    const created = await as(http().post('/audits'))
      .send({
        modelVersionId: version.body.id,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss'],
      })
      .expect(201);
    const done = await finished(created.body.id);
    expect(done).toMatchObject({ status: 'failed', failure: { code: 'TARGET_FAILED' } });
    expect(done.failure.reason).toMatch(/JSON/i);
    expect(done.queriesUsed).toBe(malformed.rowsReceived);
  });

  it('resumes from the queries earlier attempts spent: the worker starts its ledger from Postgres', async () => {
    // No worker while the audit is queued: an earlier attempt's spending is written as a crashed job leaves it.
    await Promise.all(svc.workers.map((w) => w.stop()));
    const commission = (queryBudget: number) =>
      as(http().post('/audits'))
        .send({
          modelVersionId: versionId,
          membersDatasetId: membersId,
          nonMembersDatasetId: nonMembersId,
          attacks: ['membership.loss'],
          queryBudget,
        })
        .expect(201);
    // The LOSS attack queries each of the 200 rows once: 150 spent before leaves too few under a budget of 300.
    const tight = await commission(300);
    await svc.db.query(`UPDATE audits SET queries_used = 150 WHERE id = $1`, [tight.body.id]);
    const received = kserve.rowsReceived;
    await svc.startWorker();
    const refused = await finished(tight.body.id);
    expect(refused).toMatchObject({
      status: 'failed',
      failure: { code: 'QUERY_BUDGET_EXCEEDED' },
      queriesUsed: 150,
    });
    expect(refused.failure.reason).toMatch(/150 already spent by earlier runs/);
    expect(kserve.rowsReceived).toBe(received);

    await Promise.all(svc.workers.map((w) => w.stop()));
    const roomy = await commission(1000);
    await svc.db.query(`UPDATE audits SET queries_used = 150 WHERE id = $1`, [roomy.body.id]);
    await svc.startWorker();
    const done = await finished(roomy.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.queriesUsed).toBe(150 + (kserve.rowsReceived - received));
    const report = await as(http().get(`/audits/${roomy.body.id}/report`)).expect(200);
    expect(report.body.config.queries).toMatchObject({ spentBefore: 150, budget: 1000 });
  });

  it('fans out the reference models of an endpoint audit: the jobs spend queries on the same account', async () => {
    const populationId = await uploadDataset(svc, { name: 'population', role: 'population', csv: digitsCsv(200, 500) });
    const received = kserve.rowsReceived;
    const created = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        populationDatasetId: populationId,
        attacks: ['membership.rmia'],
        referenceModels: 1,
        queryBudget: 5000,
      })
      .expect(201);
    expect(created.body.estimate.modelsToTrain).toBeGreaterThan(0);
    const done = await finished(created.body.id);
    expect(done.failure).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.queriesUsed).toBe(kserve.rowsReceived - received);
    expect(done.queriesUsed).toBeLessThanOrEqual(5000);
    const findings = await as(http().get(`/audits/${created.body.id}/findings`)).expect(200);
    expect(findings.body.map((f: { attack: string }) => f.attack)).toEqual(['membership.rmia']);
  });

  it('never logged the secret header value, in the api or any worker (debug level, every test above)', () => {
    expect(svc.api.output.length).toBeGreaterThan(0);
    for (const p of [svc.api, ...svc.workers]) expect(p.output).not.toContain(SECRET_VALUE);
  });
});
