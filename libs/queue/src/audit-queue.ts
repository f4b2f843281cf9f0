import { Queue } from 'bullmq';
import { auditJobOptions } from './job-options';
import { JobName, JobPayloads, QueueName } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';

/** Where commissioned audits go. Abstract class = injection token; BullMQ is one implementation. */
export abstract class AuditQueue {
  abstract enqueueMembershipAudit(auditId: string): Promise<void>;
  /** Removes a job that has not started; false when it is running (or gone). */
  abstract removeWaiting(auditId: string): Promise<boolean>;
  abstract close(): Promise<void>;
}

export class BullMqAuditQueue extends AuditQueue {
  private readonly queue: Queue<JobPayloads[JobName.RunMembershipAudit]>;
  constructor(
    redisUrl: string,
    prefix: string,
    private readonly attempts: number,
  ) {
    super();
    this.queue = new Queue(QueueName.Audits, { connection: redisOptionsFromUrl(redisUrl, false), prefix });
  }

  async enqueueMembershipAudit(auditId: string): Promise<void> {
    await this.queue.add(JobName.RunMembershipAudit, { auditId }, auditJobOptions(auditId, this.attempts));
  }

  async removeWaiting(auditId: string): Promise<boolean> {
    const job = await this.queue.getJob(auditId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // picked up in the meantime: the worker sees the cancelled status instead
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
