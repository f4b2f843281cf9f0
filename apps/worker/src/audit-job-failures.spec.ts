import type { Logger } from '@nestjs/common';
import { Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import {
  AuditJobFailurePolicy,
  endAuditJobWithError,
  FinalAuditFailure,
  HandedBack,
  markAuditFailedDurably,
} from './audit-job-failures';

function fakes(attemptsMade: number, attempts: number, requeueBeforeRetry: boolean) {
  const audits = { markFailed: jest.fn(async () => true), requeue: jest.fn(async () => true) };
  const logger = { warn: jest.fn(), error: jest.fn() };
  const job = { data: { auditId: 'a1' }, opts: { attempts }, attemptsMade, moveToWait: jest.fn(async () => undefined) };
  const policy: AuditJobFailurePolicy = {
    audits: audits as unknown as AuditRepository,
    logger: logger as unknown as Logger,
    failedMessage: (reason) => `failed: ${reason}`,
    infrastructureReason: (n) => `gave up after ${n}`,
    requeueBeforeRetry,
  };
  return { audits, logger, job: job as unknown as Job<{ auditId: string }> & { moveToWait: jest.Mock }, policy };
}

describe('endAuditJobWithError', () => {
  it('fails the audit for good on a final failure', async () => {
    const f = fakes(0, 3, true);
    await expect(
      endAuditJobWithError(f.job, 'tok', new FinalAuditFailure('C', 'why'), f.policy),
    ).rejects.toBeInstanceOf(UnrecoverableError);
    expect(f.audits.markFailed).toHaveBeenCalledWith('a1', { code: 'C', reason: 'why' });
    expect(f.logger.warn).toHaveBeenCalledWith('failed: why');
    expect(f.audits.requeue).not.toHaveBeenCalled();
  });

  it('hands the audit back to the queue without using an attempt', async () => {
    const f = fakes(0, 3, false);
    await expect(endAuditJobWithError(f.job, 'tok', new HandedBack(), f.policy)).rejects.toBeInstanceOf(WaitingError);
    expect(f.audits.requeue).toHaveBeenCalledWith('a1', 'handed back by a stopping worker');
    expect(f.job.moveToWait).toHaveBeenCalledWith('tok');
    expect(f.audits.markFailed).not.toHaveBeenCalled();
  });

  it('requeues the audit before a retry only when the policy says so, and rethrows the error', async () => {
    const error = new Error('db down');
    const requeuing = fakes(0, 3, true);
    await expect(endAuditJobWithError(requeuing.job, 'tok', error, requeuing.policy)).rejects.toBe(error);
    expect(requeuing.audits.requeue).toHaveBeenCalledWith('a1', 'retrying after an infrastructure error');
    expect(requeuing.audits.markFailed).not.toHaveBeenCalled();

    const keeping = fakes(0, 3, false);
    await expect(endAuditJobWithError(keeping.job, 'tok', error, keeping.policy)).rejects.toBe(error);
    expect(keeping.audits.requeue).not.toHaveBeenCalled();
    expect(keeping.audits.markFailed).not.toHaveBeenCalled();
  });

  it('fails the audit on the last attempt of an infrastructure error, even when that write fails', async () => {
    const error = new Error('db down');
    const f = fakes(2, 3, true);
    f.audits.markFailed.mockRejectedValueOnce(new Error('still down'));
    await expect(endAuditJobWithError(f.job, 'tok', error, f.policy)).rejects.toBe(error);
    expect(f.audits.markFailed).toHaveBeenCalledWith('a1', {
      code: 'AUDIT_INFRASTRUCTURE_FAILURE',
      reason: 'gave up after 3',
    });
    expect(f.audits.requeue).not.toHaveBeenCalled();
  });

  it('retries the failure write, and says so in the log when Postgres stays down, without hiding the job error', async () => {
    const error = new Error('db down');
    const f = fakes(2, 3, true);
    f.audits.markFailed.mockRejectedValue(new Error('still down'));
    jest.useFakeTimers();
    try {
      const ended = endAuditJobWithError(f.job, 'tok', error, f.policy);
      const settled = expect(ended).rejects.toBe(error);
      await jest.runAllTimersAsync();
      await settled;
    } finally {
      jest.useRealTimers();
    }
    expect(f.audits.markFailed).toHaveBeenCalledTimes(5);
    expect(f.logger.error).toHaveBeenCalledWith(expect.stringMatching(/a1: could not record its failure.*still down/));
  });

  it('a final failure still ends the job for good when its write keeps failing', async () => {
    const f = fakes(0, 3, true);
    f.audits.markFailed.mockRejectedValue(new Error('still down'));
    jest.useFakeTimers();
    try {
      const ended = endAuditJobWithError(f.job, 'tok', new FinalAuditFailure('C', 'why'), f.policy);
      const settled = expect(ended).rejects.toBeInstanceOf(UnrecoverableError);
      await jest.runAllTimersAsync();
      await settled;
    } finally {
      jest.useRealTimers();
    }
    expect(f.logger.error).toHaveBeenCalled();
  });
});

describe('markAuditFailedDurably', () => {
  it('retries with backoff until the write goes through', async () => {
    const markFailed = jest
      .fn<Promise<boolean>, [string, { code: string; reason: string }]>()
      .mockRejectedValueOnce(new Error('connection refused'))
      .mockRejectedValueOnce(new Error('connection refused'))
      .mockResolvedValue(true);
    await expect(markAuditFailedDurably({ markFailed }, 'a1', { code: 'C', reason: 'r' }, [1, 1, 1])).resolves.toBe(
      true,
    );
    expect(markFailed).toHaveBeenCalledTimes(3);
  });

  it('rejects with the last error once the tries are used up', async () => {
    const markFailed = jest.fn(async () => {
      throw new Error('down');
    });
    await expect(markAuditFailedDurably({ markFailed }, 'a1', { code: 'C', reason: 'r' }, [1, 1])).rejects.toThrow(
      'down',
    );
    expect(markFailed).toHaveBeenCalledTimes(3);
  });
});
