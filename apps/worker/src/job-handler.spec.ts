import { JobName } from '../../../libs/queue/src/queue-names';
import { indexHandlers, JobHandler } from './job-handler';

const handler = (): JobHandler => ({ jobName: JobName.RunMembershipAudit, handle: async () => 'ok' });

describe('indexHandlers', () => {
  it('accepts exactly one handler per job name', () => {
    expect(indexHandlers([handler()]).size).toBe(Object.values(JobName).length);
  });
  it('refuses a job name without a handler', () => {
    expect(() => indexHandlers([])).toThrow(/has no handler/);
  });
  it('refuses two handlers for one job name', () => {
    expect(() => indexHandlers([handler(), handler()])).toThrow(/more than one handler/);
  });
});
