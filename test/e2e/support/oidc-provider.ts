// A test identity provider for the OIDC e2e suites: RS256 tokens signed with node:crypto (never by the library the
// service verifies them with) and a real loopback JWKS server publishing the signing key as kid 'k1'.
import { sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ISSUER = 'https://idp.example.test/realms/privacy';
export const AUDIENCE = 'privaudit';
export const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** header.payload.signature, signed with `key` (null: no signature, as `alg: none` writes it). */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | null) {
  const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return key ? `${data}.${b64url(sign('sha256', Buffer.from(data), key))}` : `${data}.`;
}

export interface JwksServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `publicKey` at /jwks.json on 127.0.0.1; `onRequest` sees every request (to count fetches). */
export async function startJwksServer(publicKey: KeyObject, onRequest: () => void = () => undefined) {
  const server: Server = createServer((req, res) => {
    onRequest();
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  } satisfies JwksServer;
}

/** The api's OIDC settings for this provider (OUTBOUND_ALLOW_HOSTS lets it fetch the JWKS over loopback http). */
export function oidcEnv(jwks: JwksServer, extra: Record<string, string>): Record<string, string> {
  return {
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
    OIDC_ISSUER: ISSUER,
    OIDC_AUDIENCE: AUDIENCE,
    OIDC_JWKS_URL: jwks.url,
    OIDC_ROLE_CLAIM: 'groups',
    ...extra,
  };
}
