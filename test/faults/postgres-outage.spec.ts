// Postgres unreachable from the worker in the middle of a job: the worker reaches Postgres through a TCP
// relay in this process (the api directly), and the relay is cut for a few seconds while a reference model
// trains, then restored, as a Postgres restart would look from the worker. The audit ends exactly once,
// succeeded: progress writes and status polls that fail meanwhile are dropped, a failed write of the model
// is an infrastructure error that BullMQ retries.
import { DATABASE_URL, RunningService, sleep } from '../e2e/support/service-harness';
import { Relay, viaRelay } from '../e2e/support/tcp-relay';
import {
  commission,
  ended,
  expectEndedExactlyOnce,
  ONE_SLOW_REFERENCE_MODEL,
  startFaultService,
  uploadDigits,
  waitForAudit,
  waitForAuditChild,
} from './support/fault-harness';

jest.setTimeout(240_000);

describe('Postgres unreachable from the worker mid-job', () => {
  const pg = new URL(DATABASE_URL);
  const relay = new Relay(pg.hostname, Number(pg.port || 5432));
  let svc: RunningService;
  beforeAll(async () => {
    await relay.open();
    svc = await startFaultService('faultpg');
  });
  afterAll(async () => {
    await svc?.stop();
    await relay.cut();
  });

  it('the audit ends once, succeeded, after the outage', async () => {
    const ids = await uploadDigits(svc, true);
    const worker = await svc.startWorker({ DATABASE_URL: viaRelay(DATABASE_URL, relay) });
    const id = await commission(svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 105 });
    await waitForAuditChild(worker.pid);
    await relay.cut();
    await sleep(4000);
    await relay.open();

    expect(await waitForAudit(svc, id, ended, 180_000)).toMatchObject({ status: 'succeeded', failure_reason: null });
    await expectEndedExactlyOnce(svc, id);
    expect(worker.child.exitCode).toBeNull();
  });
});
