// Fault injection between Postgres and Redis: an audit row queued with no job behind it (the api killed
// between its insert and its enqueue, or a Redis that lost the job), plain and with reference-model
// children; and a job failed in Redis while the row still says running (the worker that should have ended
// the audit died, or Postgres was down). The worker's repair loop ends or re-queues each.
import { UnrecoverableError, Worker } from 'bullmq';
import { QueueName } from '../../libs/queue/src/queue-names';
import { REDIS_URL, sleep } from '../e2e/support/service-harness';
import {
  auditRow,
  commission,
  ended,
  expectEndedExactlyOnce,
  loseAllJobs,
  uploadDigits,
  useFaultService,
  waitForAudit,
} from './support/fault-harness';

jest.setTimeout(300_000);

describe('audits whose job is missing or failed', () => {
  // Each scenario starts from no worker alive.
  const suite = useFaultService('faultlost');

  it('queued with no job (the api died between insert and enqueue): the repair loop queues it and it succeeds', async () => {
    const plainIds = await uploadDigits(suite.svc, false);
    const flowIds = await uploadDigits(suite.svc, true);
    const plain = await commission(suite.svc, plainIds, { attacks: ['membership.loss'] });
    const flow = await commission(suite.svc, flowIds, {
      attacks: ['membership.rmia'],
      referenceModels: 2,
      referenceTraining: { epochs: 20 },
    });
    // Take the jobs away, as if the enqueue never happened (or Redis lost them).
    expect(await loseAllJobs(suite.svc)).toBeGreaterThan(0);
    expect(await suite.queue.getJob(plain)).toBeUndefined();
    expect(await suite.queue.getJob(`${flow}:offline:0`)).toBeUndefined();
    expect((await auditRow(suite.svc, plain)).status).toBe('queued');

    await suite.svc.startWorker();
    for (const id of [plain, flow]) {
      expect(await waitForAudit(suite.svc, id, ended)).toMatchObject({ status: 'succeeded', failure_reason: null });
      await expectEndedExactlyOnce(suite.svc, id);
    }
    // Re-enqueued without its children, the flow's audit job trained its two models itself (in its own cache
    // directory: only the model jobs store models in Postgres).
    const [stored] = await suite.svc.db.query(`SELECT count(*)::int AS n FROM reference_models`);
    expect(stored.n).toBe(0);
  });

  it('a job failed in Redis while the row says running: the repair loop ends the audit with the reason', async () => {
    const ids = await uploadDigits(suite.svc, false);
    const id = await commission(suite.svc, ids, { attacks: ['membership.loss'] });
    // A stand-in worker that dies without ending the audit: it marks the row running, then its job fails.
    await suite.svc.db.query(`UPDATE audits SET status = 'running', started_at = now() WHERE id = $1`, [id]);
    const standIn = new Worker(
      QueueName.Audits,
      async () => {
        throw new UnrecoverableError('simulated: the worker lost its database mid-job');
      },
      { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: suite.svc.env.QUEUE_PREFIX },
    );
    try {
      const deadline = Date.now() + 30_000;
      while ((await (await suite.queue.getJob(id))?.getState()) !== 'failed') {
        if (Date.now() > deadline) throw new Error('the stand-in worker did not fail the job');
        await sleep(100);
      }
    } finally {
      await standIn.close();
    }
    expect((await auditRow(suite.svc, id)).status).toBe('running');

    // A real worker started now never sees the 'failed' event: only the repair loop can end the audit.
    await suite.svc.startWorker();
    const failed = await waitForAudit(suite.svc, id, ended, 30_000);
    expect(failed).toMatchObject({
      status: 'failed',
      failure_code: 'AUDIT_JOB_FAILED',
      failure_reason: "the audit's job failed in the queue: simulated: the worker lost its database mid-job",
    });
    await expectEndedExactlyOnce(suite.svc, id);
  });
});
