// API key lifecycle over HTTP against the compiled api and a real Postgres: create (optionally expiring), list
// (never a key or a hash), revoke (401 at once), rotate with an overlap (both keys work, then only the new one),
// expiry, the last admin key protected, and deny by default for roles.
import request from 'supertest';
import { RunningService, sleep, startService } from './support/service-harness';

jest.setTimeout(120_000);

describe('API keys: list, revoke, expire, rotate', () => {
  let svc: RunningService;
  const api = () => request(svc.baseUrl);

  beforeAll(async () => {
    svc = await startService('apikeys', { worker: false });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  const createKey = (body: object, as = svc.adminKey) => api().post('/api-keys').set('x-api-key', as).send(body);
  const canList = (key: string) => api().get('/models').set('x-api-key', key);

  it('lists keys with their status and never shows a key or its hash', async () => {
    const created = await createKey({ name: 'ci reader', role: 'auditor' }).expect(201);
    expect(created.body.key).toMatch(/^pa_/);
    expect(created.body).toMatchObject({ name: 'ci reader', role: 'auditor', status: 'active', expiresAt: null });
    const list = await api().get('/api-keys').set('x-api-key', svc.adminKey).expect(200);
    const listed = list.body.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'ci reader', role: 'auditor', status: 'active' });
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(created.body.key);
    expect(text).not.toContain(svc.adminKey);
    expect(text).not.toMatch(/"hash"/);
    // The auditor may read models but not manage keys.
    await canList(created.body.key).expect(200);
    await api().get('/api-keys').set('x-api-key', created.body.key).expect(403);
    await createKey({ name: 'x', role: 'admin' }, created.body.key).expect(403);
  });

  it('revokes a key: its next request gets 401', async () => {
    const { body } = await createKey({ name: 'to revoke', role: 'privacy_officer' }).expect(201);
    await canList(body.key).expect(200);
    const revoked = await api().delete(`/api-keys/${body.id}`).set('x-api-key', svc.adminKey).expect(200);
    expect(revoked.body).toMatchObject({ id: body.id, status: 'revoked' });
    const refused = await canList(body.key).expect(401);
    expect(refused.body.message).toBe('unknown, revoked or expired API key');
    await api().delete('/api-keys/00000000-0000-4000-8000-000000000000').set('x-api-key', svc.adminKey).expect(404);
  });

  it('expires a key at expiresAt, and refuses an expiry in the past', async () => {
    const past = await createKey({ name: 'late', role: 'auditor', expiresAt: '2020-01-01T00:00:00Z' }).expect(400);
    expect(JSON.stringify(past.body)).toContain('expiresAt');
    const soon = new Date(Date.now() + 2500).toISOString();
    const { body } = await createKey({ name: 'short-lived', role: 'auditor', expiresAt: soon }).expect(201);
    expect(body.expiresAt).toBe(soon);
    await canList(body.key).expect(200);
    await sleep(3000);
    await canList(body.key).expect(401);
    const list = await api().get('/api-keys').set('x-api-key', svc.adminKey).expect(200);
    expect(list.body.find((k: { id: string }) => k.id === body.id).status).toBe('expired');
  });

  it('rotates a key with an overlap: both work during it, then only the new one', async () => {
    const { body: old } = await createKey({ name: 'pipeline', role: 'privacy_officer' }).expect(201);
    const rotated = await api()
      .post(`/api-keys/${old.id}/rotate`)
      .set('x-api-key', svc.adminKey)
      .send({ overlapSeconds: 2 })
      .expect(201);
    expect(rotated.body).toMatchObject({ name: 'pipeline', role: 'privacy_officer', status: 'active' });
    expect(rotated.body.key).toMatch(/^pa_/);
    expect(rotated.body.previous).toMatchObject({ id: old.id, status: 'active', rotatedTo: rotated.body.id });
    await canList(old.key).expect(200);
    await canList(rotated.body.key).expect(200);
    await sleep(2500);
    await canList(old.key).expect(401);
    await canList(rotated.body.key).expect(200);
    // A key no longer active cannot be rotated.
    await api().post(`/api-keys/${old.id}/rotate`).set('x-api-key', svc.adminKey).send({}).expect(409);
  });

  it('never revokes the last active admin key', async () => {
    const list = await api().get('/api-keys').set('x-api-key', svc.adminKey).expect(200);
    const bootstrap = list.body.find((k: { name: string }) => k.name === 'bootstrap admin');
    const refused = await api().delete(`/api-keys/${bootstrap.id}`).set('x-api-key', svc.adminKey).expect(409);
    expect(refused.body.message).toContain('last active admin key');
    await canList(svc.adminKey).expect(200);
  });

  it('records who created, viewed and deleted what in an append-only access log that admins can query', async () => {
    const { body: officer } = await createKey({ name: 'officer', role: 'privacy_officer' }).expect(201);
    const model = await api().post('/models').set('x-api-key', officer.key).send({ name: 'logged' }).expect(201);
    await api().get(`/models/${model.body.id}`).set('x-api-key', officer.key).expect(200);
    await api().get('/models/00000000-0000-4000-8000-000000000000').set('x-api-key', officer.key).expect(404);
    const log = await api()
      .get('/access-log')
      .query({ resourceType: 'models', resourceId: model.body.id })
      .set('x-api-key', svc.adminKey)
      .expect(200);
    expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual(['view', 'create']);
    for (const entry of log.body.entries) {
      expect(entry).toMatchObject({ keyId: officer.id, role: 'privacy_officer', resourceType: 'models' });
      expect(entry.status).toBeLessThan(300);
    }
    expect(log.body.entries[0].path).toBe(`/models/${model.body.id}`);
    // A revocation is logged too, by the admin key.
    await api().delete(`/api-keys/${officer.id}`).set('x-api-key', svc.adminKey).expect(200);
    const deletes = await api()
      .get('/access-log')
      .query({ action: 'delete', resourceId: officer.id })
      .set('x-api-key', svc.adminKey)
      .expect(200);
    expect(deletes.body.entries).toHaveLength(1);
    expect(deletes.body.entries[0]).toMatchObject({ resourceType: 'api-keys', method: 'DELETE' });
    // Only admins read it, and Postgres refuses to change or erase it, whoever asks.
    const { body: auditor } = await createKey({ name: 'reader', role: 'auditor' }).expect(201);
    await api().get('/access-log').set('x-api-key', auditor.key).expect(403);
    await expect(svc.db.query(`UPDATE access_log SET role = 'admin'`)).rejects.toThrow(/append-only/);
    await expect(svc.db.query(`DELETE FROM access_log`)).rejects.toThrow(/append-only/);
    await expect(svc.db.query(`TRUNCATE access_log`)).rejects.toThrow(/append-only/);
    // Paging: one entry per page, following `next`.
    const page1 = await api().get('/access-log').query({ limit: 1 }).set('x-api-key', svc.adminKey).expect(200);
    const page2 = await api()
      .get('/access-log')
      .query({ limit: 1, before: page1.body.next })
      .set('x-api-key', svc.adminKey)
      .expect(200);
    expect(Number(page2.body.entries[0].id)).toBeLessThan(Number(page1.body.entries[0].id));
  });

  it('writes the entry of every one of many concurrent requests before answering it (grouped INSERTs)', async () => {
    const { body: officer } = await createKey({ name: 'busy', role: 'privacy_officer' }).expect(201);
    const model = await api().post('/models').set('x-api-key', officer.key).send({ name: 'busy' }).expect(201);
    const count = async () =>
      Number(
        (
          await svc.db.query(`SELECT count(*) AS n FROM access_log WHERE resource_id = $1 AND action = 'view'`, [
            model.body.id,
          ])
        )[0].n,
      );
    // When the j-th answer arrives, at least j entries must be committed: each is written before its answer leaves.
    let answered = 0;
    const shortfalls: number[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async () => {
        await api().get(`/models/${model.body.id}`).set('x-api-key', officer.key).expect(200);
        const j = ++answered;
        const committed = await count();
        if (committed < j) shortfalls.push(j - committed);
      }),
    );
    expect(shortfalls).toEqual([]);
    expect(await count()).toBe(60);
    const ids = await svc.db.query(`SELECT DISTINCT key_id FROM access_log WHERE resource_id = $1`, [model.body.id]);
    expect(ids).toEqual([{ key_id: officer.id }]);
  });
});

describe('rate limiting (Redis-backed, per API key)', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService('throttle', { worker: false, env: { THROTTLE_LIMIT: '5', THROTTLE_TTL_SECONDS: '60' } });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('answers 429 with Retry-After past the limit, per key, and never limits health checks', async () => {
    const statuses: number[] = [];
    const remaining: unknown[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await request(svc.baseUrl).get('/models').set('x-api-key', svc.adminKey);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'];
      else {
        expect(res.headers['x-ratelimit-limit']).toBe('5');
        expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        remaining.push(res.headers['x-ratelimit-remaining']);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another key has its own bucket; bad keys are counted (and limited) before authentication.
    const other = await request(svc.baseUrl)
      .post('/api-keys')
      .set('x-api-key', svc.adminKey)
      .send({ name: 'other', role: 'auditor' });
    expect(other.status).toBe(429); // the admin's bucket is spent, whatever the route
    for (let i = 0; i < 5; i++) await request(svc.baseUrl).get('/models').set('x-api-key', 'x'.repeat(40)).expect(401);
    await request(svc.baseUrl).get('/models').set('x-api-key', 'x'.repeat(40)).expect(429);
    for (let i = 0; i < 10; i++) await request(svc.baseUrl).get('/health/live').expect(200);
  });
});
