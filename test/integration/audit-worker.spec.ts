// The queue + worker against real Redis and Postgres: jobs run end to end, a child process that is killed
// or runs out of memory fails its audit (not the worker), and a stopping worker hands its job back.
import { execFileSync } from 'node:child_process';
import { Queue } from 'bullmq';
import request from 'supertest';
import { softmaxMlpOnnx, tinyRandomMlp } from '../fixtures/onnx-fixtures';
import { digitsCsv, digitsModelOnnx } from '../e2e/support/audit-fixtures';
import { uploadAuditInputs, type UploadedAuditInputs } from '../e2e/support/audit-inputs';
import { REDIS_URL, RunningService, sleep, startService } from '../e2e/support/service-harness';
import { referenceModelJobId } from '../../libs/queue/src/job-options';
import { QueueName } from '../../libs/queue/src/queue-names';

jest.setTimeout(240_000);

type Ids = UploadedAuditInputs;

const setUp = uploadAuditInputs;

async function commission(svc: RunningService, ids: Ids, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await request(svc.baseUrl)
    .post('/audits')
    .set('x-api-key', svc.adminKey)
    .send({
      modelVersionId: ids.versionId,
      membersDatasetId: ids.membersId,
      nonMembersDatasetId: ids.nonMembersId,
      ...(ids.populationId ? { populationDatasetId: ids.populationId } : {}),
      ...extra,
    })
    .expect(201);
  return res.body.id;
}

async function waitFor(
  svc: RunningService,
  id: string,
  done: (a: { status: string; phase: string | null }) => boolean,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(svc.baseUrl).get(`/audits/${id}`).set('x-api-key', svc.adminKey).expect(200);
    if (done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`audit ${id} stuck in ${res.body.status}/${res.body.phase}`);
    await sleep(200);
  }
}
const finished = (a: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(a.status);

/** The audit children of a worker we started (pid and command line), found by parent pid (never by name). */
function auditChildren(workerPid: number): Array<{ pid: number; args: string }> {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(workerPid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when the worker has no child at all
  }
  return out
    .split('\n')
    .filter((l) => l.includes('audit-child.js'))
    .map((l) => {
      const [pid, ...args] = l.trim().split(/\s+/);
      return { pid: Number(pid), args: args.join(' ') };
    });
}

/** Waits for the worker to fork an audit child; fails naming the audit's status and phase if none comes. */
async function waitForAuditChild(svc: RunningService, workerPid: number, id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const child = auditChildren(workerPid)[0];
    if (child) return child;
    if (Date.now() > deadline) {
      const a = (await request(svc.baseUrl).get(`/audits/${id}`).set('x-api-key', svc.adminKey).expect(200)).body;
      throw new Error(`no audit child of worker ${workerPid} appeared for audit ${id} (${a.status}/${a.phase})`);
    }
    await sleep(100);
  }
}

/** One job of an audit's flow as BullMQ ended it: "<state>: <return value or failed reason>". */
type JobOutcome = string;

/**
 * Waits until every job of the audit's flow (its reference-model jobs and its own) has ended in BullMQ, i.e. the
 * worker is done with the audit, and says how each ended; fails naming each job's state if they do not end.
 */
async function auditJobOutcomes(
  svc: RunningService,
  id: string,
  referenceModels: number,
  timeoutMs = 120_000,
): Promise<{ audit: JobOutcome; referenceModels: JobOutcome[] }> {
  const queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
  const ids = [id, ...Array.from({ length: referenceModels }, (_, m) => referenceModelJobId(id, 'offline', m))];
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const outcomes = await Promise.all(
        ids.map(async (jobId) => {
          const job = await queue.getJob(jobId);
          if (!job) return { ended: false, outcome: `${jobId}: missing` };
          const state = await job.getState();
          const ended = state === 'completed' || state === 'failed';
          const detail = state === 'failed' ? job.failedReason : String(job.returnvalue);
          return { ended, outcome: ended ? `${state}: ${detail}` : `${jobId}: ${state}` };
        }),
      );
      if (outcomes.every((o) => o.ended)) {
        const [audit, ...models] = outcomes.map((o) => o.outcome);
        return { audit: audit as string, referenceModels: models.sort() };
      }
      if (Date.now() > deadline)
        throw new Error(`the jobs of audit ${id} did not end: ${outcomes.map((o) => o.outcome).join('; ')}`);
      await sleep(200);
    }
  } finally {
    await queue.close();
  }
}

const slowAudit = { attacks: ['membership.rmia'], referenceModels: 2 };
const digitsCsvs = { members: digitsCsv(0, 100), nonMembers: digitsCsv(100, 200), population: digitsCsv(200, 600) };

describe('audit worker', () => {
  describe('with a normal worker', () => {
    let svc: RunningService;
    let ids: Ids;
    beforeAll(async () => {
      svc = await startService('worker');
      ids = await setUp(svc, digitsModelOnnx(), digitsCsvs);
    });
    afterAll(async () => svc?.stop());

    it('processes a job end to end: one BullMQ job per audit id, completed, audit succeeded', async () => {
      const id = await commission(svc, ids, { attacks: ['membership.loss'] });
      const audit = await waitFor(svc, id, finished);
      expect(audit).toMatchObject({ status: 'succeeded', progress: 100 });
      const queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
      try {
        const job = await queue.getJob(id);
        expect(job?.id).toBe(id);
        expect(await job?.getState()).toBe('completed');
        expect(job?.returnvalue).toBe('succeeded');
      } finally {
        await queue.close();
      }
    });

    it('fails the audit when its child is killed, and the worker goes on to the next job', async () => {
      const worker = svc.workers[0]!;
      const id = await commission(svc, ids, slowAudit);
      await waitFor(svc, id, (a) => a.status === 'running' && a.phase !== 'starting');
      process.kill((await waitForAuditChild(svc, worker.pid, id)).pid, 'SIGKILL');
      const failed = await waitFor(svc, id, finished);
      expect(failed.status).toBe('failed');
      expect(failed.failure).toEqual({
        code: 'AUDIT_PROCESS_CRASHED',
        reason: 'the model process exited with signal SIGKILL',
      });
      expect(worker.child.exitCode).toBeNull(); // the worker survived

      const next = await commission(svc, ids, { attacks: ['membership.loss'] });
      expect((await waitFor(svc, next, finished)).status).toBe('succeeded');
    });

    it('stops a running audit on cancel by killing its child', async () => {
      const worker = svc.workers[0]!;
      // Long training (several seconds per model, as in the graceful-shutdown test): the reference model's child
      // cannot finish by itself before the worker sees the cancel, so its job ends 'cancelled' only if the cancel
      // killed it. These settings also give the audit cache keys of its own: nothing the earlier tests' audits
      // trained, or were killed while training, is cached or claimed.
      const id = await commission(svc, ids, {
        ...slowAudit,
        referenceTraining: { epochs: 1000 },
        referenceHidden: [512, 512],
      });
      // Cancelled once a model process of the audit runs. Cancelling as soon as the audit reads 'running' raced the
      // job: it could still be preparing its child, so "no child right now" proved nothing, and the child forked
      // a moment later was then taken for one that survived the cancel.
      await waitForAuditChild(svc, worker.pid, id);
      await request(svc.baseUrl).post(`/audits/${id}/cancel`).set('x-api-key', svc.adminKey).expect(200);
      // Judged once the worker is done with the audit (every job of its flow ended), not at one instant after the
      // cancel: then no audit child may be left, and the job that was training must say the cancel stopped it.
      const jobs = await auditJobOutcomes(svc, id, slowAudit.referenceModels);
      const audit = (await request(svc.baseUrl).get(`/audits/${id}`).set('x-api-key', svc.adminKey).expect(200)).body;
      // One object, so that a failure shows the surviving child's command line beside the audit's state and jobs.
      expect({
        auditChildren: auditChildren(worker.pid).map((c) => `${c.pid} ${c.args}`),
        audit: `${audit.status}/${audit.phase}`,
        jobs,
      }).toEqual({
        auditChildren: [],
        audit: 'cancelled/cancelled',
        jobs: {
          audit: 'completed: audit already cancelled',
          referenceModels: ['completed: audit already cancelled', 'completed: cancelled'],
        },
      });
      const findings: Array<{ n: number }> = await svc.db.query(
        `SELECT count(*)::int AS n FROM findings WHERE audit_id = $1`,
        [id],
      );
      expect(findings[0]!.n).toBe(0);
    });
  });

  describe('with a child memory limit of 16 MB', () => {
    let svc: RunningService;
    beforeAll(async () => {
      svc = await startService('oom', {
        env: { AUDIT_CHILD_MEMORY_MB: '16', MAX_DATASET_BYTES: String(30 * 1024 * 1024) },
      });
    });
    afterAll(async () => svc?.stop());

    it('fails an audit whose child runs out of memory with the limit in the reason, then runs a small one', async () => {
      // Members and non-members differ (the audit is planned at commission: identical records would be refused there).
      const rows = (prefix: string, shift: number) => {
        const lines = ['row_id,a,b,c,d,digit'];
        for (let i = 0; i < 300_000; i++)
          lines.push(
            `${prefix}${i},${(i % 97) / 97 + shift},${(i % 89) / 89},${(i % 83) / 83},${(i % 79) / 79},${i % 3}`,
          );
        return lines.join('\n') + '\n';
      };
      const big = await setUp(svc, Buffer.from(softmaxMlpOnnx(tinyRandomMlp(5, { nFeatures: 4, numClasses: 3 }))), {
        members: rows('m', 0),
        nonMembers: rows('n', 0.001),
        idColumn: 'row_id',
      });
      const id = await commission(svc, big, { attacks: ['membership.loss'] });
      const failed = await waitFor(svc, id, finished);
      expect(failed.status).toBe('failed');
      expect(failed.failure).toEqual({
        code: 'AUDIT_OUT_OF_MEMORY',
        reason: 'the model process ran out of memory (limit 16 MB)',
      });

      const small = await setUp(svc, digitsModelOnnx(), { members: digitsCsv(0, 60), nonMembers: digitsCsv(60, 120) });
      const next = await commission(svc, small, { attacks: ['membership.loss'] });
      expect((await waitFor(svc, next, finished)).status).toBe('succeeded');
    });
  });

  describe('graceful shutdown', () => {
    let svc: RunningService;
    beforeAll(async () => {
      svc = await startService('shutdown', { worker: false, env: { SHUTDOWN_GRACE_SECONDS: '1' } });
    });
    afterAll(async () => svc?.stop());

    it('hands an unfinished audit back to the queue on SIGTERM, and another worker completes it', async () => {
      const ids = await setUp(svc, digitsModelOnnx(), digitsCsvs);
      const first = await svc.startWorker();
      // Each reference model is its own job now: a model that trains within the 1 s grace period simply
      // finishes. Long training makes SIGTERM land mid-job: 1000 epochs of a wide reference architecture take
      // several seconds per model even on the onnxruntime trainer (the mirrored 64-8-10 target trains in well
      // under a second).
      const id = await commission(svc, ids, {
        ...slowAudit,
        referenceTraining: { epochs: 1000 },
        referenceHidden: [512, 512],
      });
      await waitFor(svc, id, (a) => a.status === 'running' && a.phase !== 'starting');
      const started = Date.now();
      // Nest re-raises SIGTERM after its shutdown hooks: the process ends by that signal, not our SIGKILL fallback.
      const ended = await first.stop('SIGTERM');
      expect(ended.signal === 'SIGTERM' || ended.code === 0).toBe(true);
      expect(Date.now() - started).toBeLessThan(15_000);
      const handedBack = await waitFor(svc, id, (a) => a.status !== 'running', 10_000);
      expect(handedBack.status).toBe('queued');

      await svc.startWorker();
      const done = await waitFor(svc, id, finished);
      expect(done.status).toBe('succeeded');
      const findings: Array<{ n: number }> = await svc.db.query(
        `SELECT count(*)::int AS n FROM findings WHERE audit_id = $1`,
        [id],
      );
      expect(findings[0]!.n).toBe(1);
    });
  });
});
