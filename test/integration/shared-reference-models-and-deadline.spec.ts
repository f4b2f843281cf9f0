// Across the audits of one service (real api, workers, Postgres and Redis):
// - two concurrent audits of the same data and architecture train each reference model once (the jobs of the
//   second wait on the first's claim), and both succeed with identical reference-based findings;
// - AUDIT_TIMEOUT_SECONDS bounds the whole audit, not each child process: its flow is failed AUDIT_TIMEOUT once.
import { Job, Queue } from 'bullmq';
import request from 'supertest';
import { digitsCsv, digitsModelOnnx } from '../e2e/support/audit-fixtures';
import { uploadAuditInputs } from '../e2e/support/audit-inputs';
import { REDIS_URL, RunningService, sleep, startService } from '../e2e/support/service-harness';
import { QueueName } from '../../libs/queue/src/queue-names';

jest.setTimeout(300_000);

interface AuditBody {
  id: string;
  status: string;
  phase: string | null;
  failure: { code: string; reason: string } | null;
  estimate: { modelsTotal: number; modelsToTrain: number; modelsCached: number };
}

async function waitFinished(svc: RunningService, id: string, timeoutMs = 240_000): Promise<AuditBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(svc.baseUrl).get(`/audits/${id}`).set('x-api-key', svc.adminKey).expect(200);
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`audit ${id} stuck in ${res.body.status}/${res.body.phase}`);
    await sleep(200);
  }
}

async function newVersion(svc: RunningService, modelId: string): Promise<string> {
  const v = await request(svc.baseUrl)
    .post(`/models/${modelId}/versions`)
    .set('x-api-key', svc.adminKey)
    .set('content-type', 'application/octet-stream')
    .send(digitsModelOnnx())
    .expect(201);
  return v.body.id;
}

describe('reference models shared across audits, and the whole-audit deadline', () => {
  describe('two concurrent audits of the same data', () => {
    let svc: RunningService;
    let queue: Queue;
    beforeAll(async () => {
      // One worker taking four jobs at once: both audits' jobs for the same models run side by side.
      svc = await startService('sharedref', { env: { WORKER_CONCURRENCY: '4' } });
      queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
    });
    afterAll(async () => {
      await queue?.close();
      await svc?.stop();
    });

    it('trains each reference model exactly once; both audits succeed with identical findings', async () => {
      const ids = await uploadAuditInputs(svc, digitsModelOnnx(), {
        members: digitsCsv(0, 100),
        nonMembers: digitsCsv(100, 200),
        population: digitsCsv(200, 600),
      });
      // The same model file again, as a second version: one active audit per version, the same cache keys.
      const version = await request(svc.baseUrl)
        .get(`/model-versions/${ids.versionId}`)
        .set('x-api-key', svc.adminKey)
        .expect(200);
      const secondVersionId = await newVersion(svc, version.body.modelId);
      const commission = async (modelVersionId: string) =>
        (
          await request(svc.baseUrl)
            .post('/audits')
            .set('x-api-key', svc.adminKey)
            .send({
              modelVersionId,
              membersDatasetId: ids.membersId,
              nonMembersDatasetId: ids.nonMembersId,
              populationDatasetId: ids.populationId,
              attacks: ['membership.rmia'],
              referenceModels: 2,
              seed: 11,
            })
            .expect(201)
        ).body as AuditBody;
      const [a, b] = await Promise.all([commission(ids.versionId), commission(secondVersionId)]);
      // Both priced before either trained anything: both flows hold a job for each of the same two models.
      expect(a.estimate).toMatchObject({ modelsTotal: 2, modelsToTrain: 2 });
      expect(b.estimate).toMatchObject({ modelsTotal: 2, modelsToTrain: 2 });

      const [doneA, doneB] = await Promise.all([waitFinished(svc, a.id), waitFinished(svc, b.id)]);
      expect(doneA.status).toBe('succeeded');
      expect(doneB.status).toBe('succeeded');

      // A training run is a job that ended 'trained...' (it trained in its child); the others waited or found it.
      const jobs = (await Promise.all(
        [a.id, b.id].flatMap((id) => [0, 1].map((m) => queue.getJob(`${id}:offline:${m}`))),
      )) as Job[];
      const outcomes = jobs.map((j) => String(j.returnvalue));
      // Never 'trained (already stored by another worker)': no model was trained twice.
      expect(outcomes.filter((o) => o.startsWith('trained'))).toEqual(['trained', 'trained']);
      expect(outcomes.filter((o) => o.startsWith('cached'))).toHaveLength(2);
      for (const m of [0, 1]) {
        const perModel = jobs.filter((j) => j.id?.endsWith(`:offline:${m}`)).map((j) => String(j.returnvalue));
        expect(perModel.filter((o) => o.startsWith('trained'))).toHaveLength(1);
      }
      expect(Number((await svc.db.query(`SELECT count(*)::int AS n FROM reference_models`))[0].n)).toBe(2);

      const report = async (id: string) =>
        (await request(svc.baseUrl).get(`/audits/${id}/report`).set('x-api-key', svc.adminKey).expect(200)).body;
      const [ra, rb] = await Promise.all([report(a.id), report(b.id)]);
      expect(ra.config.referenceCost).toMatchObject({ modelsCached: 2, modelsTrained: 0 });
      expect(rb.config.referenceCost).toMatchObject({ modelsCached: 2, modelsTrained: 0 });
      expect(rb.findings.map((f: { metrics: unknown }) => f.metrics)).toEqual(
        ra.findings.map((f: { metrics: unknown }) => f.metrics),
      );
    });
  });

  describe('AUDIT_TIMEOUT_SECONDS', () => {
    let svc: RunningService;
    beforeAll(async () => {
      svc = await startService('deadline', {
        env: { AUDIT_TIMEOUT_SECONDS: '4', AUDIT_REPAIR_INTERVAL_MS: '500', AUDIT_REPAIR_MIN_AGE_MS: '60000' },
      });
    });
    afterAll(async () => svc?.stop());

    it('bounds the whole audit: a flow of reference-model jobs longer than the limit fails AUDIT_TIMEOUT, once', async () => {
      const ids = await uploadAuditInputs(svc, digitsModelOnnx(), {
        members: digitsCsv(0, 100),
        nonMembers: digitsCsv(100, 200),
        population: digitsCsv(200, 1200),
      });
      const created = await request(svc.baseUrl)
        .post('/audits')
        .set('x-api-key', svc.adminKey)
        .send({
          modelVersionId: ids.versionId,
          membersDatasetId: ids.membersId,
          nonMembersDatasetId: ids.nonMembersId,
          populationDatasetId: ids.populationId,
          attacks: ['membership.rmia'],
          referenceModels: 16,
          seed: 5,
        })
        .expect(201);
      const done = await waitFinished(svc, created.body.id);
      expect(done.status).toBe('failed');
      expect(done.failure?.code).toBe('AUDIT_TIMEOUT');
      expect(done.failure?.reason).toBe(
        'the audit exceeded its time limit of 4 s (AUDIT_TIMEOUT_SECONDS, counted from its start across all its jobs)',
      );
      const [row] = await svc.db.query(
        `SELECT extract(epoch FROM deadline_at - started_at)::float8 AS limit_s,
                extract(epoch FROM finished_at - deadline_at)::float8 AS late_s FROM audits WHERE id = $1`,
        [created.body.id],
      );
      // One deadline for the whole flow, recorded when its first job started, and kept to within the repair interval.
      expect(row.limit_s).toBeGreaterThanOrEqual(3.9);
      expect(row.limit_s).toBeLessThan(6);
      expect(row.late_s).toBeLessThan(5);
      // Exactly one final state: still failed, with the same code, once the flow's remaining jobs have run out.
      await sleep(3000);
      const later = await request(svc.baseUrl)
        .get(`/audits/${created.body.id}`)
        .set('x-api-key', svc.adminKey)
        .expect(200);
      expect(later.body).toMatchObject({ status: 'failed', failure: { code: 'AUDIT_TIMEOUT' } });
      expect(Number((await svc.db.query(`SELECT count(*)::int AS n FROM reference_models`))[0].n)).toBeLessThan(16);
    });
  });
});
