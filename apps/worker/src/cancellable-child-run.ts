import { AuditChildFailure } from './audit-child-process';
import { FinalAuditFailure, HandedBack } from './audit-job-failures';
import { ShutdownSignal } from './shutdown-signal';

const CANCEL_POLL_INTERVAL_MS = 1000;

/** The work of one job around its forked child, set up once the cancel switch exists. */
export interface CancellableChildRun {
  /** Called every second while the child runs: looks at the audit and calls `cancel` when it must stop. */
  readonly poll: () => void;
  /** Starts the child with `signal` and finishes the job once it has produced its result. */
  readonly run: (signal: AbortSignal) => Promise<string>;
}

/**
 * Runs a job's forked child so that it stops when the job is aborted or when polling finds the audit
 * cancelled, and maps the child's failures: stopped by cancellation → 'cancelled', stopped by a worker
 * shutdown → HandedBack, any other child failure → FinalAuditFailure. Other errors pass through.
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
    return await run(abort.signal);
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
