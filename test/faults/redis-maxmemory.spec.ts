// Scenario 6: Redis reaching maxmemory (noeviction, which the api and worker require) while one audit runs and
// another waits behind it. The suite's own redis-server is filled with filler keys until it refuses writes
// (OOM), held there past the worker's lock duration, then the filler is deleted. Meanwhile POST /audits answers
// 503 and the audit it inserted ends failed with the reason (nothing left queued with no job); once memory
// frees, the running and the waiting audit end exactly once and the refused version is commissioned again.
import Redis from 'ioredis';
import request from 'supertest';
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

const FILLER_PREFIX = 'faults-filler:';

/**
 * Fills Redis with 4 MiB of filler, then sets maxmemory 1 MiB under what it holds: the state a Redis that grew to
 * its limit is in (a write that would reach the limit with its own bytes is refused too, but a small write, such
 * as a job, passes until the memory is really used up, so the limit is set under the usage, not above it).
 * Returns the refused write's message.
 */
async function fillToMaxmemory(redis: Redis): Promise<string> {
  const chunk = 'x'.repeat(256 * 1024);
  for (let i = 0; i < 16; i++) await redis.set(`${FILLER_PREFIX}${i}`, chunk);
  const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  await redis.config('SET', 'maxmemory', String(used - 1024 * 1024));
  return redis.set(`${FILLER_PREFIX}probe`, 'x').then(
    () => 'accepted',
    (e: Error) => e.message,
  );
}

async function freeMemory(redis: Redis): Promise<void> {
  const keys = await redis.keys(`${FILLER_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.config('SET', 'maxmemory', '0');
}

describe('Redis reaching maxmemory', () => {
  let redis: OwnRedis;
  let admin: Redis;
  let svc: RunningService;
  beforeAll(async () => {
    redis = await OwnRedis.start('none');
    admin = new Redis(redis.url);
    svc = await startFaultService('faultredisoom', { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    admin?.disconnect();
    await svc?.stop();
    await redis?.remove();
  });

  it('commissions answer 503 while it is full; running and queued audits end once after memory frees', async () => {
    const slowIds = await uploadDigits(svc, true);
    const waitingIds = await uploadDigits(svc, false);
    const refusedIds = await uploadDigits(svc, false);
    const worker = await svc.startWorker();
    const running = await commission(svc, slowIds, { ...ONE_SLOW_REFERENCE_MODEL, seed: 106 });
    await waitForAuditChild(worker.pid);
    const waiting = await commission(svc, waitingIds, { attacks: ['membership.loss'] });
    expect((await auditRow(svc, waiting)).status).toBe('queued');

    expect(await fillToMaxmemory(admin)).toMatch(/OOM command not allowed/);
    const refused = await request(svc.baseUrl)
      .post('/audits')
      .set('x-api-key', svc.adminKey)
      .send({
        modelVersionId: refusedIds.versionId,
        membersDatasetId: refusedIds.membersId,
        nonMembersDatasetId: refusedIds.nonMembersId,
        attacks: ['membership.loss'],
      })
      .expect(503);
    expect(refused.body).toMatchObject({ code: 'QUEUE_UNAVAILABLE', details: { auditId: expect.any(String) } });
    const lost = refused.body.details.auditId as string;
    expect(await auditRow(svc, lost)).toMatchObject({ status: 'failed', failure_code: 'QUEUE_UNAVAILABLE' });
    // Reads keep working from Postgres while Redis refuses writes (the rate limiter fails open).
    await request(svc.baseUrl).get(`/audits/${running}`).set('x-api-key', svc.adminKey).expect(200);

    // Full for longer than the worker's lock (3 s): lock renewals and stalled checks are refused meanwhile.
    await sleep(5000);
    await freeMemory(admin);

    for (const id of [running, waiting]) {
      const a = await waitForAudit(svc, id, ended, 180_000);
      if (a.status !== 'succeeded') expect(a.failure_code).toBeTruthy();
      await expectEndedExactlyOnce(svc, id);
    }
    // Nothing queued was lost: the audit waiting behind the full Redis ran once memory freed.
    expect((await auditRow(svc, waiting)).status).toBe('succeeded');
    await expectEndedExactlyOnce(svc, lost);
    const again = await commission(svc, refusedIds, { attacks: ['membership.loss'] });
    expect(await waitForAudit(svc, again, ended)).toMatchObject({ status: 'succeeded', failure_reason: null });
    await expectEndedExactlyOnce(svc, again);
  });
});
