import type { AuditJobState } from '../../../libs/queue/src/audit-queue';
import { AuditStatus } from '../../../libs/persistence/src/records';

/** BullMQ's failedReason for a job that stalled more often than maxStalledCount allows. */
export const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

export interface AuditFailure {
  readonly code: string;
  readonly reason: string;
}

/**
 * The audit a job belongs to: the audit job's id is the audit id, a reference-model job's id is
 * `<auditId>:<mode>:<m>` (libs/queue job-options).
 */
export function auditIdOfJob(jobId: string): string {
  return jobId.split(':')[0] as string;
}

/**
 * The id of the child job whose failure failed this audit's job, from the parent's failedReason (BullMQ writes
 * "child <prefix>:<queue>:<child job id> failed" on a parent failed by failParentOnFailure), or null.
 */
export function failedChildJobId(auditId: string, failedReason: string | null): string | null {
  const m = /^child (.+) failed$/.exec(failedReason ?? '');
  if (!m) return null;
  const key = m[1] as string;
  const at = key.indexOf(`:${auditId}:`);
  return at < 0 ? null : key.slice(at + 1);
}

/** Whether a failed job is an audit's job failed by one of its reference-model children. */
export function failedByChild(jobId: string, failedReason: string | null): boolean {
  const auditId = auditIdOfJob(jobId);
  return jobId === auditId && failedChildJobId(auditId, failedReason) !== null;
}

/** The failure recorded on an audit whose job BullMQ failed, whether or not the handler ran. */
export function failureOfFailedJob(jobId: string, failedReason: string | null, maxStalledCount: number): AuditFailure {
  const what = jobId.includes(':') ? 'a reference-model job of the audit' : "the audit's job";
  if (failedReason?.includes(STALLED_TOO_OFTEN)) {
    return {
      code: 'AUDIT_JOB_STALLED',
      reason: `${what} stalled more than ${maxStalledCount} time${maxStalledCount === 1 ? '' : 's'} (its worker died or stopped responding while running it) and was given up`,
    };
  }
  return { code: 'AUDIT_JOB_FAILED', reason: `${what} failed in the queue: ${failedReason || 'no reason given'}` };
}

export type RepairAction =
  { readonly kind: 'none' } | { readonly kind: 'enqueue' } | { readonly kind: 'fail'; readonly failure: AuditFailure };

/**
 * What the repair loop does with an audit that has been queued or running, untouched, for a while:
 * - queued with no job: the api died (or Redis lost the job) between insert and enqueue: enqueue it again
 *   (job id = audit id, so a job added meanwhile makes this a no-op);
 * - running with no job: nothing will ever run it again: fail it;
 * - a failed job: BullMQ gave up on it (stalled too often, attempts exhausted) but the audit was not ended
 *   (the worker died, or Postgres was down when it tried): fail it with the job's reason;
 * - a completed job on an audit still active: the job ended without finishing it: fail it.
 * Every other state (waiting, delayed, active, waiting for its reference-model jobs) will move on by itself.
 */
export function repairActionFor(
  /** The audit's job id (= the audit id), or the id of the reference-model child whose failure failed it. */
  jobId: string,
  status: AuditStatus,
  job: AuditJobState,
  maxStalledCount: number,
): RepairAction {
  switch (job.state) {
    case null:
      return status === AuditStatus.Queued
        ? { kind: 'enqueue' }
        : {
            kind: 'fail',
            failure: {
              code: 'AUDIT_JOB_LOST',
              reason:
                "the audit's job is gone from the queue (Redis lost it, or it was removed) while the audit was running",
            },
          };
    case 'failed':
      return { kind: 'fail', failure: failureOfFailedJob(jobId, job.failedReason, maxStalledCount) };
    case 'completed':
      return {
        kind: 'fail',
        failure: { code: 'AUDIT_JOB_LOST', reason: "the audit's job ended without finishing the audit" },
      };
    case 'active':
    case 'waiting':
    case 'waiting-children':
    case 'delayed':
    case 'prioritized':
      return { kind: 'none' };
  }
}
