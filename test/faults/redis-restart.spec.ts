// A Redis restart with the append-only file on, while one audit is running and another is queued behind it.
// The suite starts its own redis-server in a temp dir (the machine's Redis keeps nothing on disk and serves
// other suites): the api and worker start against it without the test-only persistence override, the
// server is shut down and started again on the same files, and both audits end exactly once, succeeded.
import { RunningService, sleep } from '../e2e/support/service-harness';
import { OwnRedis } from './support/own-redis';
import {
  auditRow,
  commission,
  ended,
  expectEndedExactlyOnce,
  ONE_SLOW_REFERENCE_MODEL,
  startFaultService,
  uploadDigits,
  waitForAudit,
  waitForAuditChild,
} from './support/fault-harness';

jest.setTimeout(300_000);

describe('Redis restarted with AOF on', () => {
  let redis: OwnRedis;
  let svc: RunningService;
  beforeAll(async () => {
    redis = await OwnRedis.start('aof');
    svc = await startFaultService('faultredis', {
      REDIS_URL: redis.url,
      // The real start-up check: this Redis persists, so no override is needed.
      PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'false',
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await redis?.remove();
  });

  it('a running and a queued audit both end once, succeeded, after the restart', async () => {
    const slowIds = await uploadDigits(svc, true);
    const quickIds = await uploadDigits(svc, false);
    const worker = await svc.startWorker();
    const running = await commission(svc, slowIds, { ...ONE_SLOW_REFERENCE_MODEL, seed: 104 });
    await waitForAuditChild(worker.pid);
    const queued = await commission(svc, quickIds, { attacks: ['membership.loss'] });
    expect((await auditRow(svc, queued)).status).toBe('queued');

    expect((await auditRow(svc, running)).status).toBe('running');
    await redis.stop();
    await sleep(1000);
    await redis.start();

    for (const id of [running, queued]) {
      expect(await waitForAudit(svc, id, ended, 180_000)).toMatchObject({ status: 'succeeded', failure_reason: null });
      await expectEndedExactlyOnce(svc, id);
    }
    expect(worker.child.exitCode).toBeNull(); // the worker rode out the restart
  });
});
