import { AuditChildFailure } from './audit-child-process';
import { FinalAuditFailure, HandedBack } from './audit-job-failures';
import { ShutdownSignal } from './shutdown-signal';

const CANCEL_POLL_INTERVAL_MS = 1000;

/** The work of one job around its forked child, set up once the cancel switch exists. */
export interface CancellableChildRun {
  /**
   * Called every second while the child runs, and once as soon as it is forked: looks at the audit and calls `cancel`
   * when it must stop.
   */
  readonly poll: () => void;
  /**
   * Starts the child with `signal` and finishes the job once it has produced its result. `childStarted` must be called
   * once the child is forked (the supervisor's onSpawn).
   */
  readonly run: (signal: AbortSignal, childStarted: () => void) => Promise<string>;
}

/**
 * Runs a job's forked child so that it stops when the job is aborted or when polling finds the audit
 * cancelled, and maps the child's failures: stopped by cancellation → 'cancelled', stopped by a worker
 * shutdown → HandedBack, any other child failure → FinalAuditFailure. Other errors pass through.
 *
 * The job checked that its audit was active before it got here, and preparing the child's inputs takes a while: an
 * audit cancelled in between must not leave a freshly forked child running until the next tick. So the audit is also
 * looked at the moment the child is forked; a cancel committed before the fork is then seen by that look.
 */
export async function runChildCancellably(
  jobSignal: AbortSignal,
  shutdown: ShutdownSignal,
  setUp: (cancel: () => void) => CancellableChildRun,
): Promise<string> {
  const abort = new AbortController();
  let cancelled = false;
  const onJobAbort = () => abort.abort();
  jobSignal.addEventListener('abort', onJobAbort);
  const { poll, run } = setUp(() => {
    if (!cancelled) {
      cancelled = true;
      abort.abort();
    }
  });
  const timer = setInterval(poll, CANCEL_POLL_INTERVAL_MS);
  try {
    return await run(abort.signal, poll);
  } catch (e) {
    if (!(e instanceof AuditChildFailure)) throw e;
    if (e.kind === 'aborted') {
      if (cancelled) return 'cancelled';
      if (shutdown.stopping) throw new HandedBack();
    }
    throw new FinalAuditFailure(e.code, e.reason);
  } finally {
    clearInterval(timer);
    jobSignal.removeEventListener('abort', onJobAbort);
  }
}
