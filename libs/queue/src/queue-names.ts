// Every queue and job the service knows, with the payload each job carries. The worker refuses to start
// unless each JobName has exactly one handler.

export enum QueueName {
  Audits = 'audits',
  /** Scheduled re-audits (BullMQ job schedulers, one per model plan with a schedule), consumed by the api. */
  Reaudits = 'reaudits',
  /** Outbound notification deliveries (signed webhooks on audit outcomes), consumed by the api. */
  Notifications = 'notifications',
  /** The retention purge's ticks (one BullMQ job scheduler), consumed by the api. */
  Retention = 'retention',
}

/** Jobs of the retention queue (handled by the api, which holds the deletion code paths). */
export enum RetentionJobName {
  /** One pass of the retention purge over every tenant. */
  Purge = 'retention.purge',
}

/** Jobs of the notifications queue (handled by the api, like ReauditJobName). */
export enum NotificationJobName {
  /** POST one delivery's signed notification to its subscription's URL. */
  Deliver = 'notification.deliver',
}

export interface NotificationDeliveryPayload {
  readonly deliveryId: string;
}

/**
 * Jobs of the reaudits queue. Not JobName: the worker handles every JobName; these are handled by the api,
 * which holds the commissioning code (checks, pricing) a re-audit goes through.
 */
export enum ReauditJobName {
  /** One tick of a model plan's cron schedule: audit the model's latest version under its plan. */
  Scheduled = 'reaudit.scheduled',
}

export interface ScheduledReauditPayload {
  readonly modelId: string;
  /** The plan's tenant (the tick runs in it). Absent on schedulers created before tenants: the model's tenant. */
  readonly tenantId?: string;
}

export enum JobName {
  RunMembershipAudit = 'audit.membership.run',
  /** One reference model of an audit (a child of the audit's job in a BullMQ flow). */
  TrainReferenceModel = 'audit.reference-model.train',
}

export interface RunMembershipAuditPayload {
  readonly auditId: string;
  /** The audit's tenant: the worker runs the job in it (row-level security). Absent on jobs queued before tenants. */
  readonly tenantId?: string;
}

/**
 * Small by design: the datasets are read from the blob store through the audit's row and the trained
 * weights go to Postgres; nothing large passes through Redis.
 */
export interface TrainReferenceModelPayload {
  readonly auditId: string;
  readonly tenantId?: string;
  readonly mode: 'online' | 'offline';
  /** Index of the model in its mode's set of k. */
  readonly m: number;
  readonly k: number;
  readonly seed: number;
  /** The engine's cache key for this model, as planned at commission; the worker checks it recomputes the same. */
  readonly key: string;
}

export interface JobPayloads {
  [JobName.RunMembershipAudit]: RunMembershipAuditPayload;
  [JobName.TrainReferenceModel]: TrainReferenceModelPayload;
}

export const QUEUE_OF_JOB: Readonly<Record<JobName, QueueName>> = {
  [JobName.RunMembershipAudit]: QueueName.Audits,
  [JobName.TrainReferenceModel]: QueueName.Audits,
};
