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
    // Postgres down even after the retries: the job still fails for good, carrying the reason; the failed-job
    // listener or the repair loop writes it on the audit once Postgres is back. Never swallowed silently.
    await markAuditFailedDurably(policy.audits, auditId, { code: error.code, reason: error.reason }).catch(
      (e: unknown) =>
        policy.logger.error(
          `audit ${auditId}: could not record its failure (left to the repair loop): ${messageOf(e)}`,
        ),
    );
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
    await markAuditFailedDurably(policy.audits, auditId, {
      code: 'AUDIT_INFRASTRUCTURE_FAILURE',
      reason: policy.infrastructureReason(attempts),
    }).catch((e: unknown) =>
      policy.logger.error(`audit ${auditId}: could not record its failure (left to the repair loop): ${messageOf(e)}`),
    );
  } else if (policy.requeueBeforeRetry) {
    await policy.audits.requeue(auditId, 'retrying after an infrastructure error').catch(() => false);
  }
  throw error;
}

/** Delays between the tries of markAuditFailedDurably: about 10 s in all, well inside a job's lock. */
export const MARK_FAILED_BACKOFF_MS: readonly number[] = [250, 1_000, 3_000, 6_000];

/**
 * markFailed, retried with backoff when Postgres does not answer (a restart, a failover). Resolves with
 * whether this call ended the audit (false: it had already ended); rejects with the last error when every
 * try failed, so the caller decides, never silently.
 */
export async function markAuditFailedDurably(
  audits: Pick<AuditRepository, 'markFailed'>,
  auditId: string,
  failure: { code: string; reason: string },
  backoffMs: readonly number[] = MARK_FAILED_BACKOFF_MS,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await audits.markFailed(auditId, failure);
    } catch (e) {
      const delay = backoffMs[attempt];
      if (delay === undefined) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
