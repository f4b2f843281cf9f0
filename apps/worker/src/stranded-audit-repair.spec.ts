import { DEFAULT_TENANT_ID } from '../../../libs/persistence/src/tenancy/tenant-context';
import { AuditStatus } from '../../../libs/persistence/src/records';
import type { AuditJobState } from '../../../libs/queue/src/audit-queue';
import { STALLED_TOO_OFTEN } from './audit-repair';
import { StrandedAuditRepair } from './stranded-audit-repair';

/** A backlog of stale audits in memory: every third one's job failed, every seventh queued one has no job. */
function backlog(n: number) {
  const audits = Array.from({ length: n }, (_, i) => ({
    id: `a${i}`,
    status: i % 2 === 0 ? AuditStatus.Queued : AuditStatus.Running,
    tenantId: DEFAULT_TENANT_ID,
  }));
  const jobs = new Map<string, AuditJobState>();
  audits.forEach((a, i) => {
    if (i % 3 === 0) jobs.set(a.id, { state: 'failed', failedReason: STALLED_TOO_OFTEN });
    else if (!(i % 7 === 0 && a.status === AuditStatus.Queued))
      jobs.set(a.id, { state: 'waiting', failedReason: null });
  });
  const failed = new Set<string>();
  const enqueued: string[] = [];
  const repo = {
    listStaleActive: jest.fn(async (_age: number, limit: number, offset = 0) =>
      audits.filter((a) => !failed.has(a.id)).slice(offset, offset + limit),
    ),
    markFailed: jest.fn(async (id: string) => {
      if (failed.has(id)) return false;
      failed.add(id);
      return true;
    }),
  };
  const queue = {
    jobState: jest.fn(async (id: string) => jobs.get(id) ?? { state: null, failedReason: null }),
    enqueueMembershipAudit: jest.fn(async (id: string) => {
      enqueued.push(id);
      jobs.set(id, { state: 'waiting', failedReason: null });
    }),
  };
  const config = { AUDIT_REPAIR_MIN_AGE_MS: 1000, WORKER_MAX_STALLED_COUNT: 1 };
  const loop = new StrandedAuditRepair(repo, queue, config, { warn: () => undefined });
  return { audits, failed, enqueued, loop };
}

describe('StrandedAuditRepair', () => {
  it('repairs every stranded audit of a backlog longer than a page, in one pass, and nothing twice', async () => {
    const b = backlog(1000);
    const expectedFailed = b.audits.filter((_, i) => i % 3 === 0).map((a) => a.id);
    const expectedEnqueued = b.audits
      .filter((a, i) => i % 3 !== 0 && i % 7 === 0 && a.status === AuditStatus.Queued)
      .map((a) => a.id);
    expect(await b.loop.runPass()).toBe(expectedFailed.length + expectedEnqueued.length);
    expect([...b.failed].sort()).toEqual(expectedFailed.sort());
    expect(b.enqueued.sort()).toEqual(expectedEnqueued.sort());
    // A second pass finds nothing left to do.
    expect(await b.loop.runPass()).toBe(0);
  });
});
