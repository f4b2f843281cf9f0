import { runInTenant } from '../../../libs/persistence/src/tenancy/tenant-context';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import type { AuditStatus } from '../../../libs/persistence/src/records';
import type { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import type { AuditQueue } from '../../../libs/queue/src/audit-queue';
import { auditTimeoutReason } from './audit-deadline';
import { failedChildJobId, repairActionFor } from './audit-repair';
import type { AuditJobState } from '../../../libs/queue/src/audit-queue';

/** Audits read per page; a pass reads every page, so a long legitimate backlog cannot hide a stranded audit. */
const AUDITS_PER_PAGE = 200;

/** One repair pass over the stale active audits (audit-repair.ts decides, this acts); no Nest, so unit-testable. */
export class StrandedAuditRepair {
  constructor(
    // listStaleActive and failOverdue are installation-wide; each stale audit is then repaired in its own tenant.
    private readonly audits: Pick<AuditRepository, 'listStaleActive' | 'markFailed' | 'failOverdue'>,
    private readonly queue: Pick<AuditQueue, 'jobState' | 'enqueueMembershipAudit'>,
    private readonly config: Pick<
      AppConfig,
      'AUDIT_REPAIR_MIN_AGE_MS' | 'WORKER_MAX_STALLED_COUNT' | 'AUDIT_TIMEOUT_SECONDS'
    >,
    private readonly logger: { warn(message: string): void },
  ) {}

  /** One pass; resolves with the number of audits it changed. */
  async runPass(stopped: () => boolean = () => false): Promise<number> {
    let changed = 0;
    // Past the whole audit's deadline (AUDIT_TIMEOUT_SECONDS from its first job's start), whatever its jobs are
    // doing: failed once (a conditional update), and its running jobs see it no longer active and stop.
    for (;;) {
      if (stopped()) return changed;
      const overdue = await this.audits.failOverdue(
        AUDITS_PER_PAGE,
        auditTimeoutReason(this.config.AUDIT_TIMEOUT_SECONDS),
      );
      for (const id of overdue) this.logger.warn(`audit ${id} failed (repair): past its deadline (AUDIT_TIMEOUT)`);
      changed += overdue.length;
      if (overdue.length < AUDITS_PER_PAGE) break;
    }
    // An audit failed here leaves the list, so the offset counts only those that stay. One that moved on by
    // itself meanwhile shifts the pages by one: the next pass sees what this one skipped.
    for (let offset = 0; !stopped();) {
      const page = await this.audits.listStaleActive(this.config.AUDIT_REPAIR_MIN_AGE_MS, AUDITS_PER_PAGE, offset);
      let removed = 0;
      for (const audit of page) {
        if (stopped()) break;
        const outcome = await runInTenant(audit.tenantId, () => this.repairOne(audit));
        if (outcome !== 'unchanged') changed++;
        if (outcome === 'failed') removed++;
      }
      if (page.length < AUDITS_PER_PAGE) break;
      offset += page.length - removed;
    }
    return changed;
  }

  private async repairOne(audit: {
    id: string;
    status: AuditStatus;
    tenantId: string;
  }): Promise<'unchanged' | 'enqueued' | 'failed'> {
    let jobId = audit.id;
    let job: AuditJobState = await this.queue.jobState(audit.id);
    // Failed because a reference-model child failed: the child's reason says why (stalled, failed), and is the
    // one the failed-job listener records too, so whichever of the two ends the audit, it ends with one reason.
    const child = job.state === 'failed' ? failedChildJobId(audit.id, job.failedReason) : null;
    if (child) {
      const childJob = await this.queue.jobState(child);
      if (childJob.state === 'failed') {
        jobId = child;
        job = childJob;
      }
    }
    const action = repairActionFor(jobId, audit.status, job, this.config.WORKER_MAX_STALLED_COUNT);
    switch (action.kind) {
      case 'none':
        return 'unchanged';
      case 'enqueue':
        // Without reference-model children even when the audit had some: the audit job trains the models
        // not stored yet itself (run-membership-audit.job.ts), so nothing is lost, only spread less.
        await this.queue.enqueueMembershipAudit(audit.id);
        this.logger.warn(`audit ${audit.id} was queued with no job behind it: enqueued it again`);
        return 'enqueued';
      case 'fail':
        if (!(await this.audits.markFailed(audit.id, action.failure))) return 'unchanged';
        this.logger.warn(`audit ${audit.id} failed (repair): ${action.failure.reason}`);
        return 'failed';
    }
  }
}
