import type { JobsOptions } from 'bullmq';

/**
 * Retries are for infrastructure failures only (a lost Redis/Postgres connection, a worker shut down
 * mid-job). Model and data errors are final: the handler throws UnrecoverableError for them.
 */
export function auditJobOptions(auditId: string, attempts: number): JobsOptions {
  return {
    // jobId = audit id: enqueueing the same audit twice is a no-op, not a second run.
    jobId: auditId,
    attempts,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

/** Job id of one reference model of an audit: re-adding the flow (or a retry) never makes a second job. */
export function referenceModelJobId(auditId: string, mode: string, m: number): string {
  return `${auditId}:${mode}:${m}`;
}

export function referenceModelJobOptions(auditId: string, mode: string, m: number, attempts: number): JobsOptions {
  return {
    ...auditJobOptions(auditId, attempts),
    jobId: referenceModelJobId(auditId, mode, m),
    // A model that cannot be trained fails the audit (the handler has already marked it failed).
    failParentOnFailure: true,
  };
}
