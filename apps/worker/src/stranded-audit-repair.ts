import { runInTenant } from '../../../libs/persistence/src/tenancy/tenant-context';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import type { AuditStatus } from '../../../libs/persistence/src/records';
import type { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import type { AuditQueue } from '../../../libs/queue/src/audit-queue';
import { repairActionFor } from './audit-repair';

/** Audits read per page; a pass reads every page, so a long legitimate backlog cannot hide a stranded audit. */
const AUDITS_PER_PAGE = 200;

/** One repair pass over the stale active audits (audit-repair.ts decides, this acts); no Nest, so unit-testable. */
export class StrandedAuditRepair {
  constructor(
    // listStaleActive is installation-wide; each audit is then repaired in its own tenant.
    private readonly audits: Pick<AuditRepository, 'listStaleActive' | 'markFailed'>,
    private readonly queue: Pick<AuditQueue, 'jobState' | 'enqueueMembershipAudit'>,
    private readonly config: Pick<AppConfig, 'AUDIT_REPAIR_MIN_AGE_MS' | 'WORKER_MAX_STALLED_COUNT'>,
    private readonly logger: { warn(message: string): void },
  ) {}

  /** One pass; resolves with the number of audits it changed. */
  async runPass(stopped: () => boolean = () => false): Promise<number> {
    let changed = 0;
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
    const action = repairActionFor(
      audit.id,
      audit.status,
      await this.queue.jobState(audit.id),
      this.config.WORKER_MAX_STALLED_COUNT,
    );
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
