import { DEFAULT_TENANT_ID } from '../../../libs/persistence/src/tenancy/tenant-context';
import { AuditStatus } from '../../../libs/persistence/src/records';
import type { AuditJobState } from '../../../libs/queue/src/audit-queue';
import { STALLED_TOO_OFTEN } from './audit-repair';
import { StrandedAuditRepair } from './stranded-audit-repair';

/** A backlog of stale audits in memory: every third one's job failed, every seventh queued one has no job. */
function backlog(n: number, overdue: ReadonlySet<string> = new Set()) {
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
  const timedOut: Array<{ id: string; reason: string }> = [];
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
    failOverdue: jest.fn(async (limit: number, reason: string) => {
      const due = audits.filter((a) => overdue.has(a.id) && !failed.has(a.id)).slice(0, limit);
      for (const a of due) {
        failed.add(a.id);
        timedOut.push({ id: a.id, reason });
      }
      return due.map((a) => a.id);
    }),
  };
  const queue = {
    jobState: jest.fn(async (id: string) => jobs.get(id) ?? { state: null, failedReason: null }),
    enqueueMembershipAudit: jest.fn(async (id: string) => {
      enqueued.push(id);
      jobs.set(id, { state: 'waiting', failedReason: null });
    }),
  };
  const config = { AUDIT_REPAIR_MIN_AGE_MS: 1000, WORKER_MAX_STALLED_COUNT: 1, AUDIT_TIMEOUT_SECONDS: 60 };
  const loop = new StrandedAuditRepair(repo, queue, config, { warn: () => undefined });
  return { audits, failed, enqueued, timedOut, loop };
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

  it('fails audits past their deadline with AUDIT_TIMEOUT first, more than a page of them, each once', async () => {
    const overdue = new Set(Array.from({ length: 450 }, (_, i) => `a${2 * i + 1}`));
    const b = backlog(1000, overdue);
    await b.loop.runPass();
    expect(b.timedOut.map((t) => t.id).sort()).toEqual([...overdue].sort());
    expect(b.timedOut[0]?.reason).toBe(
      'the audit exceeded its time limit of 60 s (AUDIT_TIMEOUT_SECONDS, counted from its start across all its jobs)',
    );
    expect(await b.loop.runPass()).toBe(0);
  });
});

describe('StrandedAuditRepair and failed children', () => {
  it("records the reason of the reference-model child whose failure failed the audit's job", async () => {
    const jobs = new Map<string, AuditJobState>([
      ['a1', { state: 'failed', failedReason: 'child bull-x:audits:a1:offline:0 failed' }],
      ['a1:offline:0', { state: 'failed', failedReason: STALLED_TOO_OFTEN }],
      ['a2', { state: 'failed', failedReason: 'child bull-x:audits:a2:offline:3 failed' }],
    ]);
    const reasons = new Map<string, string>();
    const repo = {
      listStaleActive: jest.fn(async (_age: number, _limit: number, offset = 0) =>
        offset === 0
          ? [
              { id: 'a1', status: AuditStatus.Running, tenantId: DEFAULT_TENANT_ID },
              { id: 'a2', status: AuditStatus.Running, tenantId: DEFAULT_TENANT_ID },
            ]
          : [],
      ),
      markFailed: jest.fn(async (id: string, f: { code: string; reason: string }) => {
        reasons.set(id, `${f.code}: ${f.reason}`);
        return true;
      }),
      failOverdue: jest.fn(async () => [] as string[]),
    };
    const queue = {
      jobState: jest.fn(async (id: string) => jobs.get(id) ?? { state: null, failedReason: null }),
      enqueueMembershipAudit: jest.fn(),
    };
    const config = { AUDIT_REPAIR_MIN_AGE_MS: 1000, WORKER_MAX_STALLED_COUNT: 1, AUDIT_TIMEOUT_SECONDS: 3600 };
    await new StrandedAuditRepair(repo, queue, config, { warn: () => undefined }).runPass();
    expect(reasons.get('a1')).toMatch(
      /^AUDIT_JOB_STALLED: a reference-model job of the audit stalled more than 1 time/,
    );
    // The child is gone: the parent's own reason stands.
    expect(reasons.get('a2')).toBe(
      "AUDIT_JOB_FAILED: the audit's job failed in the queue: child bull-x:audits:a2:offline:3 failed",
    );
  });
});
