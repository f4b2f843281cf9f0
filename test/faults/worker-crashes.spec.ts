// Fault injection on the workers, with real processes against the real Postgres and Redis: a worker killed
// with SIGKILL in the middle of a job (once: another worker finishes the audit; twice in a row on the same
// job: the audit ends failed, not running forever), and a worker frozen with SIGSTOP past its lock, then
// resumed while another worker has taken its job over; and SIGTERM mid-job (the job handed back, not lost).
import { ManagedProcess, sleep } from '../e2e/support/service-harness';
import {
  commission,
  ended,
  expectEndedExactlyOnce,
  ONE_SLOW_REFERENCE_MODEL,
  uploadDigits,
  useFaultService,
  waitForAudit,
  waitForAuditChild,
  waitForAuditChildOfAny,
} from './support/fault-harness';

jest.setTimeout(300_000);

describe('worker crashes', () => {
  // Each scenario starts from no worker alive.
  const suite = useFaultService('faultcrash');

  it('kill -9 mid-job: another worker takes the stalled job over and the audit succeeds once', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const first = await suite.svc.startWorker();
    const id = await commission(suite.svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 101 });
    await waitForAuditChild(first.pid);
    await first.stop('SIGKILL');

    await suite.svc.startWorker();
    const done = await waitForAudit(suite.svc, id, ended);
    expect(done.status).toBe('succeeded');
    await expectEndedExactlyOnce(suite.svc, id);
    const child = await suite.queue.getJob(`${id}:offline:0`);
    expect(child?.stalledCounter).toBe(1);
  });

  it('two kill -9 in a row on the same job: the audit ends failed with the reason, not running forever', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const first = await suite.svc.startWorker();
    const id = await commission(suite.svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 102 });
    await waitForAuditChild(first.pid);
    // The next workers are up (idle) before the crashes, so one of them finds the job stalled at once.
    const standby = [await suite.svc.startWorker(), await suite.svc.startWorker()];
    await first.stop('SIGKILL');
    const second = await waitForAuditChildOfAny(standby);
    const third = standby.find((w) => w !== second) as ManagedProcess;
    await second.stop('SIGKILL');

    const failed = await waitForAudit(suite.svc, id, ended);
    expect(failed).toMatchObject({
      status: 'failed',
      failure_code: 'AUDIT_JOB_STALLED',
      failure_reason:
        'a reference-model job of the audit stalled more than 1 time (its worker died or stopped responding while running it) and was given up',
    });
    await expectEndedExactlyOnce(suite.svc, id);
    expect(await (await suite.queue.getJob(`${id}:offline:0`))?.getState()).toBe('failed');
    expect(third.child.exitCode).toBeNull();

    // The model version is free again: a new audit of it is accepted and runs.
    const next = await commission(suite.svc, ids, { attacks: ['membership.loss'] });
    expect((await waitForAudit(suite.svc, next, ended)).status).toBe('succeeded');
    await expectEndedExactlyOnce(suite.svc, next);
  });

  it('SIGSTOP past the lock, then SIGCONT: the job is run once more elsewhere, the audit ends once', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const frozen = await suite.svc.startWorker();
    const id = await commission(suite.svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 103 });
    await waitForAuditChild(frozen.pid);
    const other = await suite.svc.startWorker();
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      // Past the 3 s lock and a stalled-job check: the other worker takes the job over.
      await waitForAuditChild(other.pid, 30_000);
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    const done = await waitForAudit(suite.svc, id, ended);
    expect(done.status).toBe('succeeded');
    // Let the resumed worker finish whatever it still had in hand, then check nothing changed.
    await sleep(3000);
    await expectEndedExactlyOnce(suite.svc, id);
    expect(frozen.child.exitCode).toBeNull(); // it survived its lost lock
  });

  it('SIGTERM mid-job: the job is handed back within the grace period and another worker ends the audit once', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const stopping = await suite.svc.startWorker({ SHUTDOWN_GRACE_SECONDS: '1' });
    const id = await commission(suite.svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 106 });
    await waitForAuditChild(stopping.pid);
    const exit = await stopping.stop('SIGTERM');
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);

    await suite.svc.startWorker();
    expect(await waitForAudit(suite.svc, id, ended)).toMatchObject({ status: 'succeeded', failure_reason: null });
    await expectEndedExactlyOnce(suite.svc, id);
  });
});
