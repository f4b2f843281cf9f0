// GET /health/live, /health/ready and /metrics over HTTP against the compiled api. The api reaches Postgres
// and Redis through TCP relays in this process: cutting a relay is a real outage from the api's side (its
// connections drop, new ones are refused) without touching the shared servers other suites use.
import request from 'supertest';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { uploadAuditInputs } from './support/audit-inputs';
import { DATABASE_URL, REDIS_URL, RunningService, sleep, startService } from './support/service-harness';
import { Relay, viaRelay } from './support/tcp-relay';

jest.setTimeout(120_000);

describe('health and metrics', () => {
  const pg = new URL(DATABASE_URL);
  const redis = new URL(REDIS_URL);
  const pgRelay = new Relay(pg.hostname, Number(pg.port || 5432));
  const redisRelay = new Relay(redis.hostname, Number(redis.port || 6379));
  let svc: RunningService;

  beforeAll(async () => {
    await pgRelay.open();
    await redisRelay.open();
    svc = await startService('health', {
      worker: false,
      env: { DATABASE_URL: viaRelay(DATABASE_URL, pgRelay), REDIS_URL: viaRelay(REDIS_URL, redisRelay) },
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await pgRelay.cut();
    await redisRelay.cut();
  });

  it('live and ready answer 200 in terminus format, without an API key', async () => {
    const live = await request(svc.baseUrl).get('/health/live').expect(200);
    expect(live.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const ready = await request(svc.baseUrl).get('/health/ready').expect(200);
    const up = { status: 'up', responseTime: expect.any(Number) };
    expect(ready.body).toEqual({
      status: 'ok',
      info: { database: up, redis: up, migrations: up },
      error: {},
      details: { database: up, redis: up, migrations: up },
    });
  });

  it('/metrics counts audits by status, jobs by queue and state, durations and failures by reason', async () => {
    const ids = await uploadAuditInputs(svc, digitsModelOnnx(), {
      members: digitsCsv(0, 60),
      nonMembers: digitsCsv(60, 120),
    });
    const body = {
      modelVersionId: ids.versionId,
      membersDatasetId: ids.membersId,
      nonMembersDatasetId: ids.nonMembersId,
      attacks: ['membership.loss'],
    };
    const first = await request(svc.baseUrl).post('/audits').set('x-api-key', svc.adminKey).send(body).expect(201);
    let text = (
      await request(svc.baseUrl)
        .get('/metrics')
        .expect(200)
        .expect('content-type', /text\/plain/)
    ).text;
    expect(text).toMatch(/^privaudit_audits\{status="queued"\} 1$/m);
    expect(text).toMatch(/^privaudit_audits\{status="failed"\} 0$/m);
    expect(text).toMatch(/^privaudit_queue_jobs\{queue="audits",state="waiting"\} 1$/m);
    expect(text).toMatch(/^# TYPE privaudit_audit_duration_seconds histogram$/m);
    expect(text).toMatch(/^privaudit_reference_models 0$/m);

    // As a worker would leave it after a job given up on: failed, 2 s after it started.
    await svc.db.query(
      `UPDATE audits SET status = 'failed', failure_code = 'AUDIT_JOB_STALLED', failure_reason = 'stalled',
         started_at = now() - interval '2 seconds', finished_at = now() WHERE id = $1`,
      [first.body.id],
    );
    text = (await request(svc.baseUrl).get('/metrics').expect(200)).text;
    expect(text).toMatch(/^privaudit_audits\{status="queued"\} 0$/m);
    expect(text).toMatch(/^privaudit_audit_failures\{code="AUDIT_JOB_STALLED"\} 1$/m);
    expect(text).toMatch(/^privaudit_audit_duration_seconds_bucket\{status="failed",le="1"\} 0$/m);
    expect(text).toMatch(/^privaudit_audit_duration_seconds_bucket\{status="failed",le="5"\} 1$/m);
    expect(text).toMatch(/^privaudit_audit_duration_seconds_bucket\{status="failed",le="\+Inf"\} 1$/m);
    expect(text).toMatch(/^privaudit_audit_duration_seconds_count\{status="failed"\} 1$/m);
  });

  it('ready answers 503 naming Redis when it is cut off, live stays 200, and recovers', async () => {
    await redisRelay.cut();
    const down = await request(svc.baseUrl).get('/health/ready').expect(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { redis: { status: 'down' } },
      info: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
    await request(svc.baseUrl).get('/health/live').expect(200);
    await redisRelay.open();
    await waitForReady(svc);
  });

  it('ready answers 503 naming the database when Postgres is cut off, and recovers', async () => {
    await pgRelay.cut();
    const down = await request(svc.baseUrl).get('/health/ready').expect(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { database: { status: 'down' }, migrations: { status: 'down' } },
      info: { redis: { status: 'up' } },
    });
    await request(svc.baseUrl).get('/health/live').expect(200);
    await pgRelay.open();
    await waitForReady(svc);
  });
});

async function waitForReady(svc: RunningService): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await request(svc.baseUrl).get('/health/ready');
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready again: ${JSON.stringify(res.body)}`);
    await sleep(250);
  }
}
