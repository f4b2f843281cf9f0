import { AuditStatus } from '../../../libs/persistence/src/records';
import {
  auditIdOfJob,
  failedByChild,
  failedChildJobId,
  failureOfFailedJob,
  repairActionFor,
  STALLED_TOO_OFTEN,
} from './audit-repair';

describe('audit repair decisions', () => {
  it('maps reference-model job ids to their audit', () => {
    expect(auditIdOfJob('5d0c7f9e-1')).toBe('5d0c7f9e-1');
    expect(auditIdOfJob('5d0c7f9e-1:offline:3')).toBe('5d0c7f9e-1');
  });

  it("finds the failed child in a parent's failedReason", () => {
    const id = '5d0c7f9e-1';
    expect(failedChildJobId(id, `child pfx:x:audits:${id}:offline:3 failed`)).toBe(`${id}:offline:3`);
    expect(failedChildJobId(id, 'child pfx:audits:other:offline:3 failed')).toBeNull();
    expect(failedChildJobId(id, 'boom')).toBeNull();
    expect(failedChildJobId(id, null)).toBeNull();
  });

  it('names a job that stalled too often, and keeps any other reason', () => {
    expect(failureOfFailedJob('a', STALLED_TOO_OFTEN, 1)).toEqual({
      code: 'AUDIT_JOB_STALLED',
      reason:
        "the audit's job stalled more than 1 time (its worker died or stopped responding while running it) and was given up",
    });
    expect(failureOfFailedJob('a:online:0', STALLED_TOO_OFTEN, 2).reason).toMatch(
      /^a reference-model job of the audit stalled more than 2 times/,
    );
    expect(failureOfFailedJob('a', 'boom', 1)).toEqual({
      code: 'AUDIT_JOB_FAILED',
      reason: "the audit's job failed in the queue: boom",
    });
  });

  it('re-enqueues a queued audit with no job, fails a running one', () => {
    const none = { state: null, failedReason: null };
    expect(repairActionFor('a', AuditStatus.Queued, none, 1)).toEqual({ kind: 'enqueue' });
    expect(repairActionFor('a', AuditStatus.Running, none, 1)).toMatchObject({
      kind: 'fail',
      failure: { code: 'AUDIT_JOB_LOST' },
    });
  });

  it('fails an active audit whose job failed or completed, whatever its status', () => {
    for (const status of [AuditStatus.Queued, AuditStatus.Running]) {
      expect(repairActionFor('a', status, { state: 'failed', failedReason: STALLED_TOO_OFTEN }, 1)).toMatchObject({
        kind: 'fail',
        failure: { code: 'AUDIT_JOB_STALLED' },
      });
      expect(repairActionFor('a', status, { state: 'completed', failedReason: null }, 1)).toMatchObject({
        kind: 'fail',
        failure: { code: 'AUDIT_JOB_LOST' },
      });
    }
  });

  it('leaves alone a job that will move on by itself', () => {
    for (const state of ['active', 'waiting', 'waiting-children', 'delayed', 'prioritized'] as const)
      expect(repairActionFor('a', AuditStatus.Running, { state, failedReason: null }, 1)).toEqual({ kind: 'none' });
  });
});

describe('failedByChild', () => {
  const id = '3d77aa8c-1bf4-495e-b0be-19450ae1d537';
  it("leaves an audit's job failed by a reference-model child to the child's own failure", () => {
    expect(failedByChild(id, `child pfx:audits:${id}:offline:0 failed`)).toBe(true);
    expect(failedByChild(`${id}:offline:0`, 'job stalled more than allowable limit')).toBe(false);
    expect(failedByChild(id, 'job stalled more than allowable limit')).toBe(false);
    expect(failedByChild(id, null)).toBe(false);
  });
});
