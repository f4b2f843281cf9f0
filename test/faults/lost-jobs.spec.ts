// Fault injection between Postgres and Redis: an audit row queued with no job behind it (the api killed
// between its insert and its enqueue, or a Redis that lost the job), plain and with reference-model
// children; and a job failed in Redis while the row still says running (the worker that should have ended
// the audit died, or Postgres was down). The worker's repair loop ends or re-queues each.
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { QueueName } from '../../libs/queue/src/queue-names';
import { REDIS_URL, RunningService, sleep } from '../e2e/support/service-harness';
import {
  auditRow,
  commission,
  ended,
  expectEndedExactlyOnce,
  loseAllJobs,
  startFaultService,
  uploadDigits,
  waitForAudit,
} from './support/fault-harness';

jest.setTimeout(300_000);

describe('audits whose job is missing or failed', () => {
  let svc: RunningService;
  let queue: Queue;
  beforeAll(async () => {
    svc = await startFaultService('faultlost');
    queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: svc.env.QUEUE_PREFIX });
  });
  afterAll(async () => {
    await queue?.close();
    await svc?.stop();
  });
  afterEach(async () => {
    // Each scenario starts from no worker alive.
    await Promise.all(svc.workers.map((w) => w.stop('SIGKILL')));
    svc.workers.length = 0;
  });

  it('queued with no job (the api died between insert and enqueue): the repair loop queues it and it succeeds', async () => {
    const plainIds = await uploadDigits(svc, false);
    const flowIds = await uploadDigits(svc, true);
    const plain = await commission(svc, plainIds, { attacks: ['membership.loss'] });
    const flow = await commission(svc, flowIds, {
      attacks: ['membership.rmia'],
      referenceModels: 2,
      referenceTraining: { epochs: 20 },
    });
    // Take the jobs away, as if the enqueue never happened (or Redis lost them).
    expect(await loseAllJobs(svc)).toBeGreaterThan(0);
    expect(await queue.getJob(plain)).toBeUndefined();
    expect(await queue.getJob(`${flow}:offline:0`)).toBeUndefined();
    expect((await auditRow(svc, plain)).status).toBe('queued');

    await svc.startWorker();
    for (const id of [plain, flow]) {
      expect(await waitForAudit(svc, id, ended)).toMatchObject({ status: 'succeeded', failure_reason: null });
      await expectEndedExactlyOnce(svc, id);
    }
    // Re-enqueued without its children, the flow's audit job trained its two models itself (in its own cache
    // directory: only the model jobs store models in Postgres).
    const [stored] = await svc.db.query(`SELECT count(*)::int AS n FROM reference_models`);
    expect(stored.n).toBe(0);
  });

  it('a job failed in Redis while the row says running: the repair loop ends the audit with the reason', async () => {
    const ids = await uploadDigits(svc, false);
    const id = await commission(svc, ids, { attacks: ['membership.loss'] });
    // A stand-in worker that dies without ending the audit: it marks the row running, then its job fails.
    await svc.db.query(`UPDATE audits SET status = 'running', started_at = now() WHERE id = $1`, [id]);
    const standIn = new Worker(
      QueueName.Audits,
      async () => {
        throw new UnrecoverableError('simulated: the worker lost its database mid-job');
      },
      { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: svc.env.QUEUE_PREFIX },
    );
    try {
      const deadline = Date.now() + 30_000;
      while ((await (await queue.getJob(id))?.getState()) !== 'failed') {
        if (Date.now() > deadline) throw new Error('the stand-in worker did not fail the job');
        await sleep(100);
      }
    } finally {
      await standIn.close();
    }
    expect((await auditRow(svc, id)).status).toBe('running');

    // A real worker started now never sees the 'failed' event: only the repair loop can end the audit.
    await svc.startWorker();
    const failed = await waitForAudit(svc, id, ended, 30_000);
    expect(failed).toMatchObject({
      status: 'failed',
      failure_code: 'AUDIT_JOB_FAILED',
      failure_reason: "the audit's job failed in the queue: simulated: the worker lost its database mid-job",
    });
    await expectEndedExactlyOnce(svc, id);
  });
});
