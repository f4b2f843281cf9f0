// Outbound notifications over HTTP against the real api, worker, Postgres and Redis, delivered to a real loopback
// receiver (allow-listed, as an administrator would a private host). Version 1 of the model is a random MLP,
// version 2 memorises the members (support/audit-fixtures.ts): its re-audit raises the rating and fails a gate
// of maxRise 0. A second subscription points at a receiver that always answers 500: retried, then marked failed.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { verifyNotificationSignature } from '../../apps/api/src/notifications/notification-signature';
import { digitsCsv, digitsModelOnnx, memorisingDigitsModelOnnx } from './support/audit-fixtures';
import { RunningService, sleep, startService } from './support/service-harness';
import { createModel, uploadDataset, uploadModelVersion } from './support/service-requests';
import { runtimeFailure } from '../fixtures/onnx-fixtures';

jest.setTimeout(240_000);

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('signed outbound notifications (real receiver, Postgres, Redis, worker)', () => {
  let svc: RunningService;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const http = () => request(svc.baseUrl);
  const asAdmin = (r: request.Test) => r.set('x-api-key', svc.adminKey);

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const status: Record<string, number> = { '/fail': 500, '/redirect': 307, '/gone': 410 };
        res.statusCode = status[req.url ?? ''] ?? 204;
        if (req.url === '/redirect') res.setHeader('location', `${receiverUrl}/ok`);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    svc = await startService('notify', {
      env: {
        OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        NOTIFICATION_POLL_INTERVAL_MS: '200',
        NOTIFICATION_MAX_ATTEMPTS: '3',
        NOTIFICATION_RETRY_DELAY_MS: '100',
      },
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  }

  const upload = (name: string, role: string, csv: string) =>
    uploadDataset(svc, { name, role, csv, idColumn: 'row_id' });

  const uploadVersion = (modelId: string, onnx: Buffer) => uploadModelVersion(svc, modelId, onnx);

  const delivered = (auditId: string, event: string) =>
    received.find(
      (r) => r.path === '/ok' && JSON.parse(r.body).audit.id === auditId && r.headers['privaudit-event'] === event,
    );

  it('refuses a URL to a refused address (422) or an unknown event (400); the secret is returned once only', async () => {
    const model = await createModel(svc, 'hooks');
    for (const url of ['https://10.1.2.3/hook', 'https://169.254.169.254/latest', 'http://example.com/hook']) {
      const refused = await asAdmin(http().post(`/models/${model}/notifications`))
        .send({ url })
        .expect(422);
      expect(refused.body.code).toBe('TARGET_DESTINATION_REFUSED');
    }
    await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/ok`, events: ['audit.exploded'] })
      .expect(400);
    await asAdmin(http().post(`/models/00000000-0000-4000-8000-000000000000/notifications`))
      .send({ url: `${receiverUrl}/ok` })
      .expect(404);

    const created = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/ok` })
      .expect(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.body.events).toEqual([
      'audit.completed',
      'audit.failed',
      'audit.rating_changed',
      'audit.gate_failed',
    ]);
    const listed = await asAdmin(http().get(`/models/${model}/notifications`)).expect(200);
    const one = await asAdmin(http().get(`/models/${model}/notifications/${created.body.id}`)).expect(200);
    for (const text of [JSON.stringify(listed.body), JSON.stringify(one.body)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('"secret"');
    }
    expect(listed.body).toHaveLength(1);
    // At rest: sealed, not the secret itself.
    const [row] = await svc.db.query(`SELECT secret_sealed FROM notification_subscriptions WHERE id = $1`, [
      created.body.id,
    ]);
    expect(row.secret_sealed).toMatch(/^v1:/);
    expect(row.secret_sealed).not.toContain(secret);
    // A supplied secret is not echoed; an auditor may read but not subscribe.
    const supplied = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/ok`, secret: 'x'.repeat(40), events: ['audit.failed'] })
      .expect(201);
    expect(supplied.body.secret).toBeUndefined();
    const auditorKey = (await asAdmin(http().post('/api-keys')).send({ name: 'reader', role: 'auditor' }).expect(201))
      .body.key as string;
    await http()
      .post(`/models/${model}/notifications`)
      .set('x-api-key', auditorKey)
      .send({ url: `${receiverUrl}/ok` })
      .expect(403);
    await http().get(`/models/${model}/notifications`).set('x-api-key', auditorKey).expect(200);
    await asAdmin(http().delete(`/models/${model}/notifications/${supplied.body.id}`)).expect(204);
    await asAdmin(http().delete(`/models/${model}/notifications/${supplied.body.id}`)).expect(404);
    // Logged like every other route: who subscribed, read and unsubscribed (never the body, so never the secret).
    const log = await asAdmin(http().get('/access-log'))
      .query({ resourceType: 'models', resourceId: model })
      .expect(200);
    const paths = log.body.entries.map((e: { method: string; path: string }) => `${e.method} ${e.path}`);
    expect(paths).toContain(`POST /models/${model}/notifications`);
    expect(paths).toContain(`GET /models/${model}/notifications`);
    expect(paths).toContain(`DELETE /models/${model}/notifications/${supplied.body.id}`);
    expect(JSON.stringify(log.body)).not.toContain(secret);
  });

  it('announces completion and a rating change with a valid signature; a receiver answering 500 is retried, then marked failed', async () => {
    const membersId = await upload('members', 'members', digitsCsv(0, 40, { withId: true }));
    const nonMembersId = await upload('nonmembers', 'non-members', digitsCsv(40, 80, { withId: true }));
    const model = await createModel(svc, 'notified');
    await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss'],
        seed: 4,
        maxRise: 0,
      })
      .expect(200);
    const ok = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/ok` })
      .expect(201);
    const secret = ok.body.secret as string;
    const failing = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/fail`, events: ['audit.completed'] })
      .expect(201);

    const v1 = await uploadVersion(model, digitsModelOnnx(1));
    const first = await waitFor('the first completion', () => delivered(v1.reaudit.auditId, 'audit.completed'));
    const v2 = await uploadVersion(model, memorisingDigitsModelOnnx(digitsCsv(0, 40)));
    const second = await waitFor('the second completion', () => delivered(v2.reaudit.auditId, 'audit.completed'));
    const changed = await waitFor('the rating change', () => delivered(v2.reaudit.auditId, 'audit.rating_changed'));
    const gate = await waitFor('the gate failure', () => delivered(v2.reaudit.auditId, 'audit.gate_failed'));

    for (const r of [first, second, changed, gate]) {
      expect(verifyNotificationSignature(secret, r.body, r.headers['privaudit-signature'] as string)).toBe(true);
      expect(verifyNotificationSignature('whsec_wrong', r.body, r.headers['privaudit-signature'] as string)).toBe(
        false,
      );
      const body = JSON.parse(r.body);
      expect(r.headers['privaudit-delivery']).toBe(body.id);
      expect(r.headers['idempotency-key']).toBe(body.id);
      expect(r.headers['content-type']).toBe('application/json');
    }
    const a1 = (await asAdmin(http().get(`/audits/${v1.reaudit.auditId}`)).expect(200)).body;
    const a2 = (await asAdmin(http().get(`/audits/${v2.reaudit.auditId}`)).expect(200)).body;
    expect(a1.risk.rating).not.toBe(a2.risk.rating);
    expect(JSON.parse(first.body)).toMatchObject({
      event: 'audit.completed',
      audit: {
        id: a1.id,
        status: 'succeeded',
        modelId: model,
        modelVersionId: v1.id,
        rating: a1.risk.rating,
        previousRating: null,
      },
      links: { audit: `/audits/${a1.id}`, reportPdf: `/audits/${a1.id}/report.pdf` },
    });
    expect(JSON.parse(changed.body)).toMatchObject({
      event: 'audit.rating_changed',
      audit: {
        id: a2.id,
        modelVersionId: v2.id,
        rating: a2.risk.rating,
        previousRating: a1.risk.rating,
        previousAuditId: a1.id,
        gate: { passed: false, maxRise: 0 },
      },
    });
    // Ids, ratings and links only: no row id or data value of the audit travels in a notification.
    for (const r of received) expect(r.body).not.toMatch(/"r\d+"/);
    // One delivery per event: nothing delivered twice to the working receiver.
    const ids = received.filter((r) => r.path === '/ok').map((r) => JSON.parse(r.body).id);
    expect(new Set(ids).size).toBe(ids.length);

    // The failing receiver: 3 attempts per delivery, then failed, with the error code and status logged.
    const log = await waitFor('the failed deliveries', async () => {
      const res = await asAdmin(http().get(`/models/${model}/notifications/${failing.body.id}/deliveries`)).expect(200);
      return res.body.length === 2 && res.body.every((d: { status: string }) => d.status === 'failed')
        ? res.body
        : undefined;
    });
    for (const d of log) {
      expect(d).toMatchObject({
        event: 'audit.completed',
        attempts: 3,
        lastErrorCode: 'HTTP_STATUS',
        lastHttpStatus: 500,
      });
      expect(received.filter((r) => r.path === '/fail' && JSON.parse(r.body).id === d.id)).toHaveLength(3);
    }
    const okLog = (await asAdmin(http().get(`/models/${model}/notifications/${ok.body.id}/deliveries`)).expect(200))
      .body;
    expect(okLog.map((d: { event: string; status: string }) => `${d.event}:${d.status}`).sort()).toEqual([
      'audit.completed:delivered',
      'audit.completed:delivered',
      'audit.gate_failed:delivered',
      'audit.rating_changed:delivered',
    ]);
    // Nothing of the payload is stored in the log.
    expect(JSON.stringify(okLog)).not.toContain('previousRating');
  });
  it('announces a failed audit with its failure code, never its reason', async () => {
    const membersId = await upload('members-f', 'members', digitsCsv(0, 40, { withId: true }));
    const nonMembersId = await upload('non-members-f', 'non-members', digitsCsv(40, 80, { withId: true }));
    const model = await createModel(svc, 'failing');
    const sub = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/ok`, events: ['audit.failed'] })
      .expect(201);
    const redirecting = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/redirect`, events: ['audit.failed'] })
      .expect(201);
    const gone = await asAdmin(http().post(`/models/${model}/notifications`))
      .send({ url: `${receiverUrl}/gone`, events: ['audit.failed'] })
      .expect(201);
    // Valid to every check at upload and commission, it fails at run time in the worker: a failed audit.
    const version = await uploadVersion(model, Buffer.from(runtimeFailure(digitsModelOnnx(2))));
    const created = await asAdmin(http().post('/audits'))
      .send({ modelVersionId: version.id, membersDatasetId: membersId, nonMembersDatasetId: nonMembersId })
      .expect(201);
    const failed = await waitFor('the failure notification', () => delivered(created.body.id, 'audit.failed'));
    expect(
      verifyNotificationSignature(sub.body.secret, failed.body, failed.headers['privaudit-signature'] as string),
    ).toBe(true);
    const body = JSON.parse(failed.body);
    expect(body.audit).toMatchObject({
      id: created.body.id,
      status: 'failed',
      failureCode: 'MODEL_RUNTIME_FAILURE',
      rating: null,
      gate: null,
    });
    expect(body.links.reportPdf).toBeUndefined();
    expect(failed.body).not.toMatch(/inference failed|rows \d/);
    // A redirect is never followed: the delivery fails at once, on its first attempt.
    const [redirected] = await waitFor('the refused redirect', async () => {
      const res = await asAdmin(http().get(`/models/${model}/notifications/${redirecting.body.id}/deliveries`)).expect(
        200,
      );
      return res.body[0]?.status === 'failed' ? res.body : undefined;
    });
    expect(redirected).toMatchObject({ attempts: 1, lastErrorCode: 'REDIRECT_REFUSED', lastHttpStatus: 307 });
    expect(received.filter((r) => r.path === '/ok' && JSON.parse(r.body).id === redirected.id)).toHaveLength(0);
    // A receiver that refuses the notification (4xx but 408/429) is not asked again.
    const [refused] = await waitFor('the refused delivery', async () => {
      const res = await asAdmin(http().get(`/models/${model}/notifications/${gone.body.id}/deliveries`)).expect(200);
      return res.body[0]?.status === 'failed' ? res.body : undefined;
    });
    expect(refused).toMatchObject({ attempts: 1, lastErrorCode: 'HTTP_STATUS', lastHttpStatus: 410 });
  });
});
