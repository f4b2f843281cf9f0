import { AuditChildFailure } from './audit-child-process';
import { FinalAuditFailure, HandedBack } from './audit-job-failures';
import { runChildCancellably } from './cancellable-child-run';
import { ShutdownSignal } from './shutdown-signal';

/** A child that runs until its signal aborts, then fails the way the supervisor reports an abort. */
const childUntilAborted = (signal: AbortSignal) =>
  new Promise<string>((_, reject) => {
    signal.addEventListener('abort', () =>
      reject(new AuditChildFailure('aborted', 'AUDIT_ABORTED', 'the audit was stopped')),
    );
  });

describe('runChildCancellably', () => {
  afterEach(() => jest.useRealTimers());

  it('returns the run result', async () => {
    await expect(
      runChildCancellably(new AbortController().signal, new ShutdownSignal(), () => ({
        poll: () => undefined,
        run: async () => 'done',
      })),
    ).resolves.toBe('done');
  });

  it("stops the child and ends 'cancelled' when polling calls cancel", async () => {
    jest.useFakeTimers();
    let polls = 0;
    const result = runChildCancellably(new AbortController().signal, new ShutdownSignal(), (cancel) => ({
      poll: () => {
        polls++;
        cancel();
      },
      run: childUntilAborted,
    }));
    jest.advanceTimersByTime(1000);
    await expect(result).resolves.toBe('cancelled');
    expect(polls).toBe(1);
    jest.advanceTimersByTime(5000);
    expect(polls).toBe(1);
  });

  it('looks at the audit as soon as the child is forked: a cancel made before the fork stops it before the first tick', async () => {
    // The job checked the audit before preparing its child; the cancel landed in between. Without the look at fork
    // time the child would run until the first tick (CANCEL_POLL_INTERVAL_MS); no timer is advanced here.
    jest.useFakeTimers();
    let polls = 0;
    const result = runChildCancellably(new AbortController().signal, new ShutdownSignal(), (cancel) => ({
      poll: () => {
        polls++;
        cancel();
      },
      run: (signal, childStarted) => {
        const child = childUntilAborted(signal);
        childStarted();
        return child;
      },
    }));
    await expect(result).resolves.toBe('cancelled');
    expect(polls).toBe(1);
  });

  it('hands the job back when the job is aborted while the worker is stopping', async () => {
    const job = new AbortController();
    const shutdown = new ShutdownSignal();
    const result = runChildCancellably(job.signal, shutdown, () => ({ poll: () => undefined, run: childUntilAborted }));
    shutdown.stopping = true;
    job.abort();
    await expect(result).rejects.toBeInstanceOf(HandedBack);
  });

  it('fails the audit for good on an abort that is neither cancellation nor shutdown, and on any other child failure', async () => {
    const job = new AbortController();
    const aborted = runChildCancellably(job.signal, new ShutdownSignal(), () => ({
      poll: () => undefined,
      run: childUntilAborted,
    }));
    job.abort();
    await expect(aborted).rejects.toEqual(expect.objectContaining({ code: 'AUDIT_ABORTED' }));
    await expect(aborted).rejects.toBeInstanceOf(FinalAuditFailure);

    const crashed = runChildCancellably(new AbortController().signal, new ShutdownSignal(), () => ({
      poll: () => undefined,
      run: () => Promise.reject(new AuditChildFailure('crashed', 'AUDIT_CHILD_CRASHED', 'the audit process crashed')),
    }));
    await expect(crashed).rejects.toEqual(new FinalAuditFailure('AUDIT_CHILD_CRASHED', 'the audit process crashed'));
  });

  it('passes other errors through unchanged', async () => {
    const error = new Error('db down');
    await expect(
      runChildCancellably(new AbortController().signal, new ShutdownSignal(), () => ({
        poll: () => undefined,
        run: () => Promise.reject(error),
      })),
    ).rejects.toBe(error);
  });
});
