// OIDC bearer tokens mapped to tenants (OIDC_TENANT_CLAIM), against a real loopback JWKS server and tokens signed
// by a test key, as oidc-login.e2e.spec.ts does: a token acts in the tenant its claim names, sees only that
// tenant's objects (another tenant's answer 404), and a token whose claim is missing or names no tenant is refused
// with 403 rather than falling back to the default tenant.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import { AUDIENCE, ISSUER, type JwksServer, oidcEnv, signJwt, startJwksServer } from './support/oidc-provider';
import { DEFAULT_TENANT_ID } from '../../libs/persistence/src/tenancy/tenant-context';
import { RunningService, startService } from './support/service-harness';

jest.setTimeout(120_000);

describe('OIDC bearer tokens mapped to tenants (OIDC_TENANT_CLAIM)', () => {
  let svc: RunningService;
  let jwks: JwksServer | undefined;
  let tenantB: string;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = () => Math.floor(Date.now() / 1000);
  /** A token for `org` (omitted: no tenant claim at all), with nested claims as Keycloak writes them. */
  const token = (org: string | undefined, groups = ['pa-admins']) =>
    signJwt(
      { alg: 'RS256', typ: 'JWT', kid: 'k1' },
      {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'user-7',
        iat: now(),
        exp: now() + 600,
        groups,
        ...(org !== undefined ? { org: { tenant: org } } : {}),
      },
      signing.privateKey,
    );
  const http = () => request(svc.baseUrl);
  const bearer = (r: request.Test, t: string) => r.set('authorization', `Bearer ${t}`);

  beforeAll(async () => {
    jwks = await startJwksServer(signing.publicKey);
    svc = await startService('oidctenants', {
      worker: false,
      env: oidcEnv(jwks, { OIDC_ROLE_MAP: 'pa-admins=admin,pa-readers=auditor', OIDC_TENANT_CLAIM: 'org.tenant' }),
    });
    tenantB = (await http().post('/tenants').set('x-api-key', svc.adminKey).send({ name: 'tenant b' }).expect(201)).body
      .id;
  });
  afterAll(async () => {
    await svc?.stop();
    await jwks?.close();
  });

  it("acts in the tenant its claim names: tenant B's token cannot see tenant A's objects, and the reverse", async () => {
    const forA = token(DEFAULT_TENANT_ID);
    const forB = token(tenantB.toUpperCase());
    const modelA = (await bearer(http().post('/models'), forA).send({ name: 'model of a' }).expect(201)).body.id;
    const modelB = (await bearer(http().post('/models'), forB).send({ name: 'model of b' }).expect(201)).body.id;
    // Each tenant's objects are its own, down to the database row.
    expect(await svc.db.query(`SELECT tenant_id FROM models WHERE id = $1`, [modelB])).toEqual([
      { tenant_id: tenantB },
    ]);
    await bearer(http().get(`/models/${modelB}`), forB).expect(200);
    const crossed = await bearer(http().get(`/models/${modelA}`), forB).expect(404);
    expect(crossed.body.code).toBe('NOT_FOUND');
    await bearer(http().get(`/models/${modelB}`), forA).expect(404);
    const listB = JSON.stringify((await bearer(http().get('/models'), forB).expect(200)).body);
    expect(listB).toContain(modelB);
    expect(listB).not.toContain(modelA);
    expect((await bearer(http().get('/tenants/current'), forB).expect(200)).body.id).toBe(tenantB);
    // The bootstrap key (the default tenant) sees A's model, not B's: tokens did not blur the boundary.
    await http().get(`/models/${modelA}`).set('x-api-key', svc.adminKey).expect(200);
    await http().get(`/models/${modelB}`).set('x-api-key', svc.adminKey).expect(404);
    // The role still comes from the role claim, within the tenant.
    await bearer(http().post('/models'), token(tenantB, ['pa-readers']))
      .send({ name: 'x' })
      .expect(403);
  });

  it.each<[string, string | undefined]>([
    ['no tenant claim', undefined],
    ['a tenant id that does not exist', randomUUID()],
    ['a claim that is not a tenant id', 'tenant b'],
  ])('refuses a token with %s: 403, never the default tenant', async (_what, org) => {
    const res = await bearer(http().get('/models'), token(org)).expect(403);
    expect(res.body).toMatchObject({
      code: 'FORBIDDEN',
      message: "the token's 'org.tenant' claim names no tenant of this installation",
    });
  });
});
