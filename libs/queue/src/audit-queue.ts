import { FlowProducer, Queue } from 'bullmq';
import { auditJobOptions, referenceModelJobOptions } from './job-options';
import { JobName, JobPayloads, QueueName, TrainReferenceModelPayload } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';
import { currentTenantId, NoTenantError } from '../../persistence/src/tenancy/tenant-context';

export type ReferenceModelJob = Omit<TrainReferenceModelPayload, 'auditId' | 'tenantId'>;

/** Where an audit's job stands in the queue, as the repair loop needs it; null state = no such job. */
export interface AuditJobState {
  readonly state: 'active' | 'waiting' | 'waiting-children' | 'delayed' | 'prioritized' | 'completed' | 'failed' | null;
  /** BullMQ's reason for a failed job ('job stalled more than allowable limit', the handler's error). */
  readonly failedReason: string | null;
}

/** Where commissioned audits go. Abstract class = injection token; BullMQ is one implementation. */
export abstract class AuditQueue {
  /**
   * Enqueues the audit. With reference models to train, as a flow: one child job per model, and the audit
   * job as their parent, which BullMQ starts only once every child has completed.
   */
  abstract enqueueMembershipAudit(auditId: string, referenceModels?: readonly ReferenceModelJob[]): Promise<void>;
  /** Removes a job that has not started (with its reference-model jobs); false when it is running (or gone). */
  abstract removeWaiting(auditId: string): Promise<boolean>;
  /** The state of the audit's own job (id = audit id). */
  abstract jobState(auditId: string): Promise<AuditJobState>;
  /** Resolves when the queue's Redis answers (one cheap read of the queue). */
  abstract ping(): Promise<void>;
  /** Counts of the queue's jobs by state, for /metrics. */
  abstract jobCounts(): Promise<Record<string, number>>;
  abstract close(): Promise<void>;
}

export class BullMqAuditQueue extends AuditQueue {
  private readonly queue: Queue<JobPayloads[JobName.RunMembershipAudit]>;
  private readonly flows: FlowProducer;
  constructor(
    redisUrl: string,
    private readonly prefix: string,
    private readonly attempts: number,
  ) {
    super();
    this.queue = new Queue(QueueName.Audits, { connection: redisOptionsFromUrl(redisUrl, false), prefix });
    this.flows = new FlowProducer({ connection: redisOptionsFromUrl(redisUrl, false), prefix });
  }

  async enqueueMembershipAudit(auditId: string, referenceModels: readonly ReferenceModelJob[] = []): Promise<void> {
    // The job carries the tenant it is queued in (fail closed: no tenant, no job); the worker runs it there.
    const tenantId = currentTenantId();
    if (tenantId === null) throw new NoTenantError('an audit job was queued outside a tenant');
    if (referenceModels.length === 0) {
      await this.queue.add(JobName.RunMembershipAudit, { auditId, tenantId }, auditJobOptions(auditId, this.attempts));
      return;
    }
    // One atomic Redis transaction: the parent and all children exist, or none does.
    await this.flows.add({
      name: JobName.RunMembershipAudit,
      queueName: QueueName.Audits,
      prefix: this.prefix,
      data: { auditId, tenantId },
      opts: auditJobOptions(auditId, this.attempts),
      children: referenceModels.map((r) => ({
        name: JobName.TrainReferenceModel,
        queueName: QueueName.Audits,
        prefix: this.prefix,
        data: { auditId, tenantId, ...r } satisfies TrainReferenceModelPayload,
        opts: referenceModelJobOptions(auditId, r.mode, r.m, this.attempts),
      })),
    });
  }

  async removeWaiting(auditId: string): Promise<boolean> {
    const job = await this.queue.getJob(auditId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized' && state !== 'waiting-children')
      return false;
    try {
      // A parent waiting for its children is removed with them; a child that is running refuses the removal.
      await job.remove();
      return true;
    } catch {
      return false; // picked up in the meantime: the worker sees the cancelled status instead
    }
  }

  async jobState(auditId: string): Promise<AuditJobState> {
    const job = await this.queue.getJob(auditId);
    if (!job) return { state: null, failedReason: null };
    const state = await job.getState();
    switch (state) {
      case 'active':
      case 'waiting':
      case 'waiting-children':
      case 'delayed':
      case 'prioritized':
      case 'completed':
        return { state, failedReason: null };
      case 'failed':
        return { state, failedReason: job.failedReason ?? null };
      case 'unknown':
        return { state: null, failedReason: null }; // removed between the two calls
    }
  }

  async ping(): Promise<void> {
    await this.queue.getJobCounts('waiting');
  }

  async jobCounts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts(
      'active',
      'waiting',
      'waiting-children',
      'delayed',
      'prioritized',
      'completed',
      'failed',
    );
  }

  async close(): Promise<void> {
    await this.flows.close();
    await this.queue.close();
  }
}
