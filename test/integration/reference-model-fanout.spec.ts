// The audit fan-out against real Redis and Postgres: one BullMQ child job per reference model, the audit job
// as their parent, models stored in Postgres and reused by a re-audit, and a worker SIGKILLed in the middle
// of a reference-model job whose stalled job a second worker finishes (the audit still completes once).
import { execFileSync } from 'node:child_process';
import { Job, Queue } from 'bullmq';
import request from 'supertest';
import { digitsCsv, digitsModelOnnx } from '../e2e/support/audit-fixtures';
import { uploadAuditInputs, type UploadedAuditInputs } from '../e2e/support/audit-inputs';
import { REDIS_URL, RunningService, sleep, startService } from '../e2e/support/service-harness';
import { QueueName } from '../../libs/queue/src/queue-names';

jest.setTimeout(300_000);

type Ids = UploadedAuditInputs;

function setUp(svc: RunningService, populationRows: [number, number]): Promise<Ids> {
  return uploadAuditInputs(svc, digitsModelOnnx(), {
    members: digitsCsv(0, 100),
    nonMembers: digitsCsv(100, 200),
    population: digitsCsv(populationRows[0], populationRows[1]),
  });
}

async function commission(svc: RunningService, ids: Ids, k: number) {
  const res = await request(svc.baseUrl)
    .post('/audits')
    .set('x-api-key', svc.adminKey)
    .send({
      modelVersionId: ids.versionId,
      membersDatasetId: ids.membersId,
      nonMembersDatasetId: ids.nonMembersId,
      populationDatasetId: ids.populationId,
      attacks: ['membership.rmia'],
      referenceModels: k,
      seed: 11,
    })
    .expect(201);
  return res.body as {
    id: string;
    estimate: { modelsTotal: number; modelsToTrain: number; modelsCached: number; estimatedSeconds: number };
  };
}

interface AuditBody {
  status: string;
  phase: string | null;
  progress: number;
  referenceModelProgress: { stored: number; total: number } | null;
}

async function waitFor(
  svc: RunningService,
  id: string,
  done: (a: AuditBody) => boolean,
  timeoutMs = 180_000,
  seen?: AuditBody[],
): Promise<AuditBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(svc.baseUrl).get(`/audits/${id}`).set('x-api-key', svc.adminKey).expect(200);
    seen?.push(res.body);
    if (done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`audit ${id} stuck in ${res.body.status}/${res.body.phase}`);
    await sleep(150);
  }
}
const finished = (a: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(a.status);

async function count(svc: RunningService, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await svc.db.query(sql, params))[0].n);
}

/** A child process of a worker we started (never looked up by name). */
function childPids(workerPid: number): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(workerPid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((l) => l.includes('audit-child.js'))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('reference models fanned out over BullMQ (flow)', () => {
  describe('one worker', () => {
    let svc: RunningService;
    let queue: Queue;
    let ids: Ids;
    beforeAll(async () => {
      svc = await startService('fanout');
      queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
      ids = await setUp(svc, [200, 600]);
    });
    afterAll(async () => {
      await queue?.close();
      await svc?.stop();
    });

    it('trains one child job per model, stores them, and the parent audit trains nothing; a re-audit trains nothing at all', async () => {
      const first = await commission(svc, ids, 2);
      expect(first.estimate).toMatchObject({ modelsTotal: 2, modelsToTrain: 2, modelsCached: 0 });
      expect(first.estimate.estimatedSeconds).toBeGreaterThan(0);
      // The flow exists as soon as the audit is commissioned: the parent waits for its two children.
      const parent = await queue.getJob(first.id);
      expect(parent).toBeDefined();
      const dependencies = await (parent as Job).getDependenciesCount();
      expect((dependencies.unprocessed ?? 0) + (dependencies.processed ?? 0)).toBe(2);

      const seen: AuditBody[] = [];
      const done = await waitFor(svc, first.id, finished, 180_000, seen);
      expect(done).toMatchObject({
        status: 'succeeded',
        progress: 100,
        referenceModelProgress: { stored: 2, total: 2 },
      });
      for (const m of [0, 1]) {
        const child = await queue.getJob(`${first.id}:offline:${m}`);
        expect(await child?.getState()).toBe('completed');
        expect(child?.returnvalue).toBe('trained');
      }
      expect((await queue.getJob(first.id))?.returnvalue).toBe('succeeded');
      expect(await count(svc, `SELECT count(*)::int AS n FROM reference_models`)).toBe(2);
      expect(await count(svc, `SELECT count(*)::int AS n FROM findings WHERE audit_id = $1`, [first.id])).toBe(1);
      // Progress is written per stored model while the children run.
      expect(seen.some((a) => a.phase === 'reference-models 1/2' || a.phase === 'reference-models 2/2')).toBe(true);
      // The parent ran the attack on the stored models: both found in its cache, none trained by it.
      const report = await request(svc.baseUrl)
        .get(`/audits/${first.id}/report`)
        .set('x-api-key', svc.adminKey)
        .expect(200);
      expect(report.body.config.referenceCost).toMatchObject({ modelsCached: 2, modelsTrained: 0 });

      const before: Array<{ cache_key: string; created_at: Date }> = await svc.db.query(
        `SELECT cache_key, created_at FROM reference_models ORDER BY cache_key`,
      );
      const again = await commission(svc, ids, 2);
      expect(again.estimate).toEqual({ modelsTotal: 2, modelsToTrain: 0, modelsCached: 2, estimatedSeconds: 0 });
      const redone = await waitFor(svc, again.id, finished);
      expect(redone.status).toBe('succeeded');
      // No child jobs at all: the audit was enqueued as a plain job.
      for (const m of [0, 1]) expect(await queue.getJob(`${again.id}:offline:${m}`)).toBeUndefined();
      const after: Array<{ cache_key: string; created_at: Date }> = await svc.db.query(
        `SELECT cache_key, created_at FROM reference_models ORDER BY cache_key`,
      );
      expect(after).toEqual(before);
      const report2 = await request(svc.baseUrl)
        .get(`/audits/${again.id}/report`)
        .set('x-api-key', svc.adminKey)
        .expect(200);
      expect(report2.body.config.referenceCost).toMatchObject({ modelsCached: 2, modelsTrained: 0 });
      // Same models, same seed: the same finding.
      expect(report2.body.findings[0].metrics.auc).toBe(report.body.findings[0].metrics.auc);
    });
  });

  describe('a worker killed in the middle of a reference-model job', () => {
    let svc: RunningService;
    let queue: Queue;
    beforeAll(async () => {
      // Short locks so the dead worker's job is found stalled within seconds, not a minute.
      svc = await startService('fanoutkill', {
        worker: false,
        env: { WORKER_LOCK_DURATION_MS: '3000', WORKER_STALLED_INTERVAL_MS: '1000' },
      });
      queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
    });
    afterAll(async () => {
      await queue?.close();
      await svc?.stop();
    });

    it('a second worker takes the stalled job over; the audit finishes once, each model stored once, no duplicate findings', async () => {
      const ids = await setUp(svc, [200, 1200]);
      const first = await svc.startWorker();
      const audit = await commission(svc, ids, 4);
      expect(audit.estimate.modelsToTrain).toBe(4);

      // Wait until worker 1 is training a model in its child process, then kill the worker outright.
      let trainingPid: number | undefined;
      const deadline = Date.now() + 60_000;
      while (trainingPid === undefined && Date.now() < deadline) {
        trainingPid = childPids(first.pid)[0];
        if (trainingPid === undefined) await sleep(50);
      }
      expect(trainingPid).toBeDefined();
      const active = await queue.getJobs(['active']);
      expect(active).toHaveLength(1);
      const inFlight = active[0] as Job;
      expect(inFlight.name).toBe('audit.reference-model.train');
      const storedBeforeKill = await count(svc, `SELECT count(*)::int AS n FROM reference_models`);
      process.kill(first.pid, 'SIGKILL');
      await first.stop('SIGKILL');
      // Its training child notices the parent is gone and exits; it stores nothing (only the worker writes Postgres).
      const childDeadline = Date.now() + 10_000;
      while (alive(trainingPid as number) && Date.now() < childDeadline) await sleep(100);
      expect(alive(trainingPid as number)).toBe(false);

      await svc.startWorker();
      const done = await waitFor(svc, audit.id, finished);
      expect(done.status).toBe('succeeded');
      expect(storedBeforeKill).toBeLessThan(4);

      // Every model stored exactly once, every child job completed with 'trained': none was trained twice to
      // completion (the killed attempt never finished), none was skipped for want of a model.
      expect(await count(svc, `SELECT count(*)::int AS n FROM reference_models`)).toBe(4);
      const children = await Promise.all(
        ['offline:0', 'offline:1', 'offline:2', 'offline:3'].map((s) => queue.getJob(`${audit.id}:${s}`)),
      );
      for (const child of children) {
        expect(await child?.getState()).toBe('completed');
        expect(child?.returnvalue).toBe('trained');
      }
      const rerun = children.find((c) => c?.id === inFlight.id);
      expect(rerun?.stalledCounter).toBe(1);

      // The audit ran once: one finding for one attack, the parent job completed once.
      expect(await count(svc, `SELECT count(*)::int AS n FROM findings WHERE audit_id = $1`, [audit.id])).toBe(1);
      const parent = await queue.getJob(audit.id);
      expect(await parent?.getState()).toBe('completed');
      expect(parent?.returnvalue).toBe('succeeded');
      expect(parent?.attemptsMade).toBe(1);
      const report = await request(svc.baseUrl)
        .get(`/audits/${audit.id}/report`)
        .set('x-api-key', svc.adminKey)
        .expect(200);
      expect(report.body.config.referenceCost).toMatchObject({ modelsCached: 4, modelsTrained: 0 });
    });
  });
});
