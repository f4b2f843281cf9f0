// Redis down while the api commissions an audit: the api reaches Redis through a TCP relay in this process,
// and the relay is cut before POST /audits. The api answers 503 and the audit it inserted ends failed with
// the reason (nothing left queued with no job); once Redis is back, the same model version is commissioned
// again and the audit succeeds.
import request from 'supertest';
import { REDIS_URL, RunningService } from '../e2e/support/service-harness';
import { Relay, viaRelay } from '../e2e/support/tcp-relay';
import {
  auditRow,
  commission,
  ended,
  expectEndedExactlyOnce,
  startFaultService,
  uploadDigits,
  waitForAudit,
} from './support/fault-harness';

jest.setTimeout(180_000);

describe('Redis down while the api commissions an audit', () => {
  const redis = new URL(REDIS_URL);
  const relay = new Relay(redis.hostname, Number(redis.port || 6379));
  let svc: RunningService;
  beforeAll(async () => {
    await relay.open();
    svc = await startFaultService('faultredisdown', { REDIS_URL: viaRelay(REDIS_URL, relay) });
  });
  afterAll(async () => {
    await svc?.stop();
    await relay.cut();
  });

  it('answers 503, leaves no audit behind, and commissions normally once Redis is back', async () => {
    const ids = await uploadDigits(svc, false);
    await relay.cut();
    const refused = await request(svc.baseUrl)
      .post('/audits')
      .set('x-api-key', svc.adminKey)
      .send({
        modelVersionId: ids.versionId,
        membersDatasetId: ids.membersId,
        nonMembersDatasetId: ids.nonMembersId,
        attacks: ['membership.loss'],
      })
      .expect(503);
    expect(refused.body).toMatchObject({ code: 'QUEUE_UNAVAILABLE', details: { auditId: expect.any(String) } });
    const lost = refused.body.details.auditId as string;
    expect(await auditRow(svc, lost)).toMatchObject({ status: 'failed', failure_code: 'QUEUE_UNAVAILABLE' });

    await relay.open();
    await svc.startWorker();
    await expectEndedExactlyOnce(svc, lost);
    const id = await commission(svc, ids, { attacks: ['membership.loss'] });
    expect((await waitForAudit(svc, id, ended)).status).toBe('succeeded');
    await expectEndedExactlyOnce(svc, id);
  });
});
