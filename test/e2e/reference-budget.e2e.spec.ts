// The reference-model budget over HTTP: an audit whose training is estimated over MAX_REFERENCE_SECONDS is
// refused with 422 before anything is stored or queued; the estimate is on the resource of one that fits.
import { Queue } from 'bullmq';
import request from 'supertest';
import { QueueName } from '../../libs/queue/src/queue-names';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { uploadAuditInputs } from './support/audit-inputs';
import { REDIS_URL, RunningService, startService } from './support/service-harness';

jest.setTimeout(120_000);

describe('reference-model budget (MAX_REFERENCE_SECONDS)', () => {
  let svc: RunningService;
  let queue: Queue;
  let body: Record<string, unknown>;
  beforeAll(async () => {
    // No worker: nothing may run, and whatever was queued stays visible.
    svc = await startService('budget', { worker: false, env: { MAX_REFERENCE_SECONDS: '1' } });
    queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
    const ids = await uploadAuditInputs(svc, digitsModelOnnx(), {
      members: digitsCsv(0, 100),
      nonMembers: digitsCsv(100, 200),
      population: digitsCsv(200, 600),
    });
    body = {
      modelVersionId: ids.versionId,
      membersDatasetId: ids.membersId,
      nonMembersDatasetId: ids.nonMembersId,
      populationDatasetId: ids.populationId,
      attacks: ['membership.rmia'],
    };
  });
  afterAll(async () => {
    await queue?.close();
    await svc?.stop();
  });

  it('refuses an audit estimated over the budget with 422 BUDGET_EXCEEDED, storing and queueing nothing', async () => {
    const res = await request(svc.baseUrl)
      .post('/audits')
      .set('x-api-key', svc.adminKey)
      .send({ ...body, referenceModels: 64 })
      .expect(422);
    expect(res.body.code).toBe('BUDGET_EXCEEDED');
    expect(res.body.message).toMatch(/64 reference models is estimated at \d+ s, over the budget of 1 s/);
    expect(res.body.details).toMatchObject({
      maxReferenceSeconds: 1,
      estimate: { modelsTotal: 64, modelsToTrain: 64, modelsCached: 0 },
    });
    expect(res.body.details.estimate.estimatedSeconds).toBeGreaterThan(1);
    expect(Number((await svc.db.query(`SELECT count(*)::int AS n FROM audits`))[0].n)).toBe(0);
    const counts = await queue.getJobCounts();
    expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(0);
  });

  it('accepts one within the budget and states its cost on the resource', async () => {
    const res = await request(svc.baseUrl)
      .post('/audits')
      .set('x-api-key', svc.adminKey)
      .send({ ...body, referenceModels: 2 })
      .expect(201);
    expect(res.body.estimate).toMatchObject({ modelsTotal: 2, modelsToTrain: 2, modelsCached: 0 });
    expect(res.body.estimate.estimatedSeconds).toBeGreaterThan(0);
    expect(res.body.estimate.estimatedSeconds).toBeLessThanOrEqual(1);
    expect(res.body.referenceModelProgress).toEqual({ stored: 0, total: 2 });
    // Parent plus one child job per model.
    expect((await queue.getJobCounts('waiting-children'))['waiting-children']).toBe(1);
    expect((await queue.getJobCounts('wait')).wait).toBe(2);
  });

  it('refuses a group column missing from the datasets, and describes groupColumn in the OpenAPI document', async () => {
    const res = await request(svc.baseUrl)
      .post('/audits')
      .set('x-api-key', svc.adminKey)
      .send({ ...body, referenceModels: 2, groupColumn: 'nope' })
      .expect(422);
    expect(res.body.code).toBe('DATASET_COLUMNS_MISMATCH');
    const doc = await request(svc.baseUrl).get('/docs-json').expect(200);
    expect(JSON.stringify(doc.body.paths['/audits'])).toContain('groupColumn');
  });
});
