import type { Logger } from '@nestjs/common';
import { Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';

/** Failures that retrying cannot fix: the audit is failed and the job ends (UnrecoverableError). */
export class FinalAuditFailure extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The worker is stopping with the job unfinished: it goes back to the queue for another worker. */
export class HandedBack extends Error {}

/** How one kind of audit job reports a failure: what differs between the audit run and its reference models. */
export interface AuditJobFailurePolicy {
  readonly audits: AuditRepository;
  readonly logger: Logger;
  /** The warning logged when the audit fails for good. */
  readonly failedMessage: (reason: string) => string;
  /** The reason stored on the audit when the last attempt ends in an infrastructure error. */
  readonly infrastructureReason: (attempts: number) => string;
  /** Whether an infrastructure error with attempts left puts the audit back to 'queued' for the retry. */
  readonly requeueBeforeRetry: boolean;
}

/**
 * Turns a job's error into its BullMQ outcome and the audit's status: a final failure fails the audit and
 * the job for good, a hand-back returns the job to the queue without using an attempt, anything else is
 * an infrastructure error that BullMQ retries (the audit is failed on the last attempt). Always throws.
 */
export async function endAuditJobWithError(
  job: Job<{ readonly auditId: string }>,
  token: string | undefined,
  error: unknown,
  policy: AuditJobFailurePolicy,
): Promise<never> {
  const { auditId } = job.data;
  if (error instanceof FinalAuditFailure) {
    await policy.audits.markFailed(auditId, { code: error.code, reason: error.reason });
    policy.logger.warn(policy.failedMessage(error.reason));
    throw new UnrecoverableError(error.reason);
  }
  if (error instanceof HandedBack) {
    // Shutting down with the audit unfinished: back to the queue for another worker, no attempt used.
    await policy.audits.requeue(auditId, 'handed back by a stopping worker');
    await job.moveToWait(token);
    throw new WaitingError();
  }
  // Infrastructure failure (database, Redis, file system): BullMQ retries with backoff.
  const attempts = job.opts.attempts ?? 1;
  if (job.attemptsMade + 1 >= attempts) {
    await policy.audits
      .markFailed(auditId, { code: 'AUDIT_INFRASTRUCTURE_FAILURE', reason: policy.infrastructureReason(attempts) })
      .catch(() => false);
  } else if (policy.requeueBeforeRetry) {
    await policy.audits.requeue(auditId, 'retrying after an infrastructure error').catch(() => false);
  }
  throw error;
}
