import type { Job } from 'bullmq';
import { JobName, JobPayloads } from '../../../libs/queue/src/queue-names';

/** One job class per job name (twenty style). */
export interface JobHandler<N extends JobName = JobName> {
  readonly jobName: N;
  handle(job: Job<JobPayloads[N]>, token: string | undefined, signal: AbortSignal): Promise<string>;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/** Refuses to start when a job name has no handler or more than one (immich style). */
export function indexHandlers(handlers: readonly JobHandler[]): Map<JobName, JobHandler> {
  const byName = new Map<JobName, JobHandler>();
  const problems: string[] = [];
  for (const h of handlers) {
    if (byName.has(h.jobName)) problems.push(`job '${h.jobName}' has more than one handler`);
    byName.set(h.jobName, h);
  }
  for (const name of Object.values(JobName)) {
    if (!byName.has(name)) problems.push(`job '${name}' has no handler`);
  }
  if (problems.length > 0) throw new Error(`worker job handlers are misconfigured: ${problems.join('; ')}`);
  return byName;
}
