// Every queue and job the service knows, with the payload each job carries. The worker refuses to start
// unless each JobName has exactly one handler.

export enum QueueName {
  Audits = 'audits',
}

export enum JobName {
  RunMembershipAudit = 'audit.membership.run',
}

export interface RunMembershipAuditPayload {
  readonly auditId: string;
}

export interface JobPayloads {
  [JobName.RunMembershipAudit]: RunMembershipAuditPayload;
}

export const QUEUE_OF_JOB: Readonly<Record<JobName, QueueName>> = {
  [JobName.RunMembershipAudit]: QueueName.Audits,
};
