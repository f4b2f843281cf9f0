// Optional OIDC / JWT login beside API keys, against a real loopback JWKS server and tokens signed by a test key
// (RS256 with node:crypto; the service verifies them with jose). Valid tokens map their groups claim to a role;
// expired, wrong-audience, wrong-issuer, unknown-kid, alg none, forged and algorithm-confused tokens get 401.
import { generateKeyPairSync, createHmac } from 'node:crypto';
import request from 'supertest';
import { AUDIENCE, b64url, ISSUER, type JwksServer, oidcEnv, signJwt, startJwksServer } from './support/oidc-provider';
import { RunningService, startService } from './support/service-harness';

jest.setTimeout(120_000);

describe('OIDC bearer tokens', () => {
  let svc: RunningService;
  let jwks: JwksServer | undefined;
  let jwksRequests = 0;
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-42',
    iat: now(),
    exp: now() + 600,
    groups: ['pa-admins'],
    ...extra,
  });
  const token = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = signing.privateKey) =>
    signJwt({ alg: 'RS256', typ: 'JWT', kid: 'k1', ...header }, claims(extra), key);
  const get = (t: string) => request(svc.baseUrl).get('/models').set('authorization', `Bearer ${t}`);

  beforeAll(async () => {
    jwks = await startJwksServer(signing.publicKey, () => jwksRequests++);
    svc = await startService('oidc', {
      worker: false,
      env: oidcEnv(jwks, { OIDC_ROLE_MAP: 'pa-admins=admin,pa-officers=privacy_officer,pa-readers=auditor' }),
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await jwks?.close();
  });

  it('accepts a valid token, with the role its groups claim maps to, and logs the caller by a stable id', async () => {
    const admin = token();
    await get(admin).expect(200);
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
    const created = await request(svc.baseUrl)
      .post('/models')
      .set('authorization', `Bearer ${admin}`)
      .send({ name: 'by-token' })
      .expect(201);
    const log = await request(svc.baseUrl)
      .get('/access-log')
      .query({ resourceType: 'models', action: 'create' })
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    const entry = (log.body.entries as Array<{ resourceId: string; keyId: string; role: string }>).find(
      (e) => e.resourceId === created.body.id,
    );
    expect(entry).toMatchObject({ role: 'admin', keyId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // The same subject is the same id; another subject another.
    await get(token({ sub: 'user-43' })).expect(200);
    // API keys keep working beside tokens.
    await request(svc.baseUrl).get('/models').set('x-api-key', svc.adminKey).expect(200);
  });

  it('gives the highest mapped role, refuses writes to a reader, and 403s a token that maps to no role', async () => {
    const reader = token({ groups: ['pa-readers', 'unrelated'] });
    await get(reader).expect(200);
    await request(svc.baseUrl).post('/models').set('authorization', `Bearer ${reader}`).send({ name: 'x' }).expect(403);
    const officer = token({ groups: ['pa-readers', 'pa-officers'] });
    await request(svc.baseUrl)
      .post('/models')
      .set('authorization', `Bearer ${officer}`)
      .send({ name: 'y' })
      .expect(201);
    const none = await get(token({ groups: ['elsewhere'] })).expect(403);
    expect(none.body.message).toBe("the token's 'groups' claim maps to no privaudit role");
  });

  const hmacForged = () => {
    // Algorithm confusion: HS256 keyed with the public key's bytes, as a naive verifier would accept.
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'k1' }));
    const body = b64url(JSON.stringify(claims()));
    const secret = signing.publicKey.export({ format: 'pem', type: 'spki' });
    return `${header}.${body}.${b64url(createHmac('sha256', secret).update(`${header}.${body}`).digest())}`;
  };
  it.each<[string, () => string, RegExp]>([
    ['expired', () => token({ exp: now() - 3600, iat: now() - 7200 }), /it has expired$/],
    ['for another audience', () => token({ aud: 'someone-else' }), /wrong audience$/],
    ['from another issuer', () => token({ iss: 'https://evil.example.test' }), /wrong issuer$/],
    ['signed by a key the JWKS does not have', () => token({}, { kid: 'k2' }, stranger.privateKey), /unknown kid/],
    [
      'signed by another key under the known kid',
      () => token({}, {}, stranger.privateKey),
      /signature does not verify$/,
    ],
    [
      'with alg none',
      () => signJwt({ alg: 'none', typ: 'JWT' }, claims(), null),
      /algorithm is not allowed|not a well-formed/,
    ],
    ['with alg HS256 keyed by the public key', hmacForged, /algorithm is not allowed|unknown kid/],
    [
      'with its payload changed after signing',
      () => {
        const [h, , s] = token().split('.');
        return `${h}.${b64url(JSON.stringify(claims({ groups: ['pa-admins'], sub: 'root' })))}.${s}`;
      },
      /signature does not verify$/,
    ],
  ])('answers 401 to a token %s, with the reason and never the token', async (_what, make, reason) => {
    const t = make();
    const res = await get(t).expect(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
    expect(res.body.message).toMatch(/^the bearer token was refused: /);
    expect(res.body.message).toMatch(reason);
    expect(JSON.stringify(res.body)).not.toContain(t.split('.')[1] as string);
    expect(svc.api.output).not.toContain(t.split('.')[2] || t.split('.')[1]);
  });
});
