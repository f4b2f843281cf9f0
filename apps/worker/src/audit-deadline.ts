import type { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { FinalAuditFailure } from './audit-job-failures';

/** Why an audit past its deadline failed: the same words from a job's child and from the repair loop. */
export function auditTimeoutReason(timeoutSeconds: number): string {
  return `the audit exceeded its time limit of ${timeoutSeconds} s (AUDIT_TIMEOUT_SECONDS, counted from its start across all its jobs)`;
}

/**
 * The time a job of the audit may still run its model process: AUDIT_TIMEOUT_SECONDS bounds the whole audit (every
 * job of its flow, retries included), from the deadline recorded when its first job started. An audit already past
 * it fails with AUDIT_TIMEOUT; null when the audit is no longer active.
 */
export async function auditTimeLeftMs(
  audits: Pick<AuditRepository, 'timeLeftMs'>,
  auditId: string,
  timeoutSeconds: number,
): Promise<number | null> {
  const left = await audits.timeLeftMs(auditId, timeoutSeconds);
  if (left === null) return null;
  if (left <= 0) throw new FinalAuditFailure('AUDIT_TIMEOUT', auditTimeoutReason(timeoutSeconds));
  return Math.ceil(left);
}
