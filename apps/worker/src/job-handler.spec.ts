import { JobName } from '../../../libs/queue/src/queue-names';
import { indexHandlers, JobHandler } from './job-handler';

const handler = (jobName: JobName = JobName.RunMembershipAudit): JobHandler => ({ jobName, handle: async () => 'ok' });
const oneEach = (): JobHandler[] => Object.values(JobName).map((name) => handler(name));

describe('indexHandlers', () => {
  it('accepts exactly one handler per job name', () => {
    expect(indexHandlers(oneEach()).size).toBe(Object.values(JobName).length);
  });
  it('refuses a job name without a handler', () => {
    expect(() => indexHandlers([])).toThrow(/has no handler/);
  });
  it('refuses two handlers for one job name', () => {
    expect(() => indexHandlers([...oneEach(), handler()])).toThrow(/more than one handler/);
  });
});
