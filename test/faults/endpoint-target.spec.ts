// Scenario 10: a misbehaving black-box target (an endpoint model version) combined with a worker killed
// mid-audit. Real loopback KServe v2 servers (test/fixtures/inference-servers.ts) serve the digits model:
// - flaky: every answer takes 200 ms, and two request bodies in three fail once (a reset connection, or a 503)
//   before they are answered. The worker is killed with SIGKILL while it queries; a second worker runs the audit
//   again from the spent queries recorded in Postgres. The audit succeeds once;
// - a target that resets every connection: the audit ends once, failed TARGET_FAILED, naming the host, even
//   when the worker retrying it is killed meanwhile.
// Always: every row a server received was recorded as spent before it was sent, and the recorded queries never
// exceed the budget (the ledger is in Postgres, so a killed run's spending is not forgotten nor counted twice).
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { fixtureTargetSpec, InferenceServer, startInferenceServer } from '../fixtures/inference-servers';
import { digitsCsv, digitsModelOnnx } from '../e2e/support/audit-fixtures';
import { sleep } from '../e2e/support/service-harness';
import { createModel, uploadDataset } from '../e2e/support/service-requests';
import {
  auditRow,
  ended,
  expectEndedExactlyOnce,
  useFaultService,
  waitForAudit,
  waitForAuditChild,
} from './support/fault-harness';

jest.setTimeout(300_000);

/** Rows per request: 200 audited rows make 20 requests, enough to kill the worker between two of them. */
const BATCH = 10;
const BUDGET = 1500;

describe('a slow, resetting or failing endpoint, with a worker killed mid-audit', () => {
  const suite = useFaultService('faultendpoint', {
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MAX_QUERY_BUDGET: '20000',
  });
  let flaky: InferenceServer;
  let resetting: InferenceServer;
  let membersId: string;
  let nonMembersId: string;
  const as = (r: request.Test) => r.set('x-api-key', suite.svc.adminKey);

  beforeAll(async () => {
    flaky = await startInferenceServer({
      protocol: 'kserve-v2',
      model: digitsModelOnnx(),
      misbehaviour: 'flaky',
      delayMs: 200,
    });
    resetting = await startInferenceServer({ protocol: 'kserve-v2', misbehaviour: 'connection-reset', delayMs: 300 });
    membersId = await uploadDataset(suite.svc, { name: 'members', role: 'members', csv: digitsCsv(0, 100) });
    nonMembersId = await uploadDataset(suite.svc, {
      name: 'nonmembers',
      role: 'non-members',
      csv: digitsCsv(100, 200),
    });
  });
  afterAll(async () => {
    await flaky?.close();
    await resetting?.close();
  });

  async function commissionEndpoint(server: InferenceServer): Promise<string> {
    const modelId = await createModel(suite.svc, 'endpoint');
    const version = await as(request(suite.svc.baseUrl).post(`/models/${modelId}/endpoint-versions`))
      .send({ ...fixtureTargetSpec(server, 'kserve-v2'), numClasses: 10, nFeatures: 64, batchSize: BATCH })
      .expect(201);
    const audit = await as(request(suite.svc.baseUrl).post('/audits'))
      .send({
        modelVersionId: version.body.id,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss'],
        queryBudget: BUDGET,
      })
      .expect(201);
    return audit.body.id as string;
  }

  async function queriesUsed(id: string): Promise<number> {
    const [row] = await suite.svc.db.query(`SELECT queries_used FROM audits WHERE id = $1`, [id]);
    return Number(row.queries_used);
  }

  async function waitForRequests(server: InferenceServer, n: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (server.predictRequests < n) {
      if (Date.now() > deadline) throw new Error(`the target received ${server.predictRequests} of ${n} requests`);
      await sleep(20);
    }
  }

  it('flaky and slow, worker killed while querying: succeeds once, every query recorded, within the budget', async () => {
    const first = await suite.svc.startWorker();
    const id = await commissionEndpoint(flaky);
    await waitForAuditChild(first.pid);
    await waitForRequests(flaky, 6);
    await first.stop('SIGKILL');
    const killedAfter = flaky.rowsReceived;
    expect((await auditRow(suite.svc, id)).status).toBe('running');
    // What the killed run sent is on the ledger already (recorded before each request, retries included).
    expect(await queriesUsed(id)).toBeGreaterThanOrEqual(killedAfter);

    await suite.svc.startWorker();
    expect(await waitForAudit(suite.svc, id, ended, 180_000)).toMatchObject({
      status: 'succeeded',
      failure_reason: null,
    });
    await expectEndedExactlyOnce(suite.svc, id);
    const used = await queriesUsed(id);
    // Two runs: the killed one's part and a whole second one (200 rows, a third of its requests sent twice).
    expect(flaky.rowsReceived).toBeGreaterThan(killedAfter + 200);
    expect(used).toBeGreaterThanOrEqual(flaky.rowsReceived);
    // Nothing counted twice: at most the requests in flight when the worker died were recorded but not received.
    expect(used - flaky.rowsReceived).toBeLessThanOrEqual(4 * BATCH);
    expect(used).toBeLessThanOrEqual(BUDGET);
    const findings = await as(request(suite.svc.baseUrl).get(`/audits/${id}/findings`)).expect(200);
    expect(findings.body.map((f: { attack: string }) => f.attack)).toEqual(['membership.loss']);
  });

  it('a target that resets every connection, worker killed while retrying: fails once TARGET_FAILED', async () => {
    const first = await suite.svc.startWorker();
    const id = await commissionEndpoint(resetting);
    await waitForAuditChild(first.pid);
    await waitForRequests(resetting, 2);
    await first.stop('SIGKILL');
    await suite.svc.startWorker();

    const a = await waitForAudit(suite.svc, id, ended, 180_000);
    expect(a).toMatchObject({ status: 'failed', failure_code: 'TARGET_FAILED' });
    expect(a.failure_reason).toContain('127.0.0.1');
    await expectEndedExactlyOnce(suite.svc, id);
    const used = await queriesUsed(id);
    expect(used).toBeGreaterThanOrEqual(resetting.rowsReceived);
    expect(used - resetting.rowsReceived).toBeLessThanOrEqual(4 * BATCH);
    expect(used).toBeLessThanOrEqual(BUDGET);
  });
});
