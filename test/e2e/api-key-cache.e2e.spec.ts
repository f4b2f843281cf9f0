// The api caches authenticated keys (API_KEY_CACHE_SECONDS, apps/api/src/auth/api-key-cache.ts). With two api
// replicas on one database, against the real Postgres: a key revoked through one is refused by the other at once, a
// rotation's overlap and an expiry end on time on both, and a replica whose change channel is cut caches nothing.
import request from 'supertest';
import { API_ENTRY, ManagedProcess, RunningService, sleep, startService } from './support/service-harness';
import { spawn } from 'node:child_process';

jest.setTimeout(120_000);

describe('API-key cache across two api replicas', () => {
  let svc: RunningService;
  let other: ManagedProcess;
  let otherUrl: string;
  const a = () => request(svc.baseUrl);
  const b = () => request(otherUrl);

  beforeAll(async () => {
    // A long time to live, so that only the invalidation can explain a refusal.
    svc = await startService('apikeycache', { worker: false, env: { API_KEY_CACHE_SECONDS: '60' } });
    other = new ManagedProcess(
      spawn(process.execPath, [API_ENTRY], { env: svc.env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    otherUrl = `http://127.0.0.1:${(await other.waitFor(/listening on port (\d+)/, 60_000))[1]}`;
  });
  afterAll(async () => {
    await other?.stop();
    await svc?.stop();
  });

  const newKey = async (body: object = {}) =>
    (
      await a()
        .post('/api-keys')
        .set('x-api-key', svc.adminKey)
        .send({ name: 'k', role: 'auditor', ...body })
        .expect(201)
    ).body as { id: string; key: string };
  const list = (api: () => ReturnType<typeof request>, key: string) => api().get('/models').set('x-api-key', key);

  it('refuses a key on the other replica at once after it was revoked through one (20 times over)', async () => {
    for (let i = 0; i < 20; i++) {
      const k = await newKey();
      // Both replicas have authenticated (and cached) it.
      await list(a, k.key).expect(200);
      await list(b, k.key).expect(200);
      await list(b, k.key).expect(200);
      await a().delete(`/api-keys/${k.id}`).set('x-api-key', svc.adminKey).expect(200);
      await list(b, k.key).expect(401);
      await list(a, k.key).expect(401);
    }
  });

  it("ends a rotation's overlap and an expiry on time on both replicas, whatever they cached", async () => {
    const old = await newKey();
    await list(b, old.key).expect(200);
    await a().post(`/api-keys/${old.id}/rotate`).set('x-api-key', svc.adminKey).send({ overlapSeconds: 1 }).expect(201);
    await list(b, old.key).expect(200);
    await sleep(1300);
    await list(b, old.key).expect(401);
    await list(a, old.key).expect(401);

    const expiresAt = Date.now() + 2000;
    const short = await newKey({ expiresAt: new Date(expiresAt).toISOString() });
    await list(b, short.key).expect(200);
    await list(a, short.key).expect(200);
    await sleep(expiresAt - Date.now() + 150);
    await list(b, short.key).expect(401);
    await list(a, short.key).expect(401);
  });

  it('caches nothing while a replica cannot hear changes (its listening connection cut)', async () => {
    const k = await newKey();
    await list(b, k.key).expect(200);
    const cut = await svc.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
      [`privaudit api-key changes ${svc.schema}`.slice(0, 63)],
    );
    expect(cut.length).toBe(2); // one listener per replica
    await sleep(200);
    // Revoked behind the api's back (no NOTIFY reaches either replica now): still refused at once.
    await svc.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [k.id]);
    await list(b, k.key).expect(401);
    await list(a, k.key).expect(401);
    // The channel comes back by itself, and caching resumes; revocations keep working.
    await sleep(2500);
    const again = await newKey();
    await list(b, again.key).expect(200);
    await a().delete(`/api-keys/${again.id}`).set('x-api-key', svc.adminKey).expect(200);
    await list(b, again.key).expect(401);
  });
});
