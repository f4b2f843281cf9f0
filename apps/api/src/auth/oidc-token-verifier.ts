// Optional OIDC / JWT login beside API keys (docs/security.md, "Tokens"). Tokens are verified by jose
// (createRemoteJWKSet + jwtVerify: signature against the issuer's JWKS, exp/nbf, issuer, audience, an allow-list of
// algorithms, so `none` never passes); nothing here parses or checks a signature by hand. The JWKS is fetched under
// the outbound policy: https unless the host is allow-listed, and a host that is not allow-listed must resolve to
// public unicast addresses only (the connection goes to the address checked), redirects never followed.
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { refusedAddressReason } from '../../../../libs/engine/src/targets/http/destination-check';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import { DEFAULT_TENANT_ID } from '../../../../libs/persistence/src/tenancy/tenant-context';
import { TenantDb } from '../../../../libs/persistence/src/tenancy/tenant-db';
import type { AuthenticatedCaller } from './api-key.service';

type Jose = typeof import('jose');
type RemoteJwks = ReturnType<Jose['createRemoteJWKSet']>;

/** Why a token was refused, in words fit for a 401 (never the token, never a claim value). */
export class TokenRefused extends Error {
  constructor(
    message: string,
    /** true: the token is valid but maps to no role (403, not 401). */
    readonly noRole = false,
  ) {
    super(message);
    this.name = 'TokenRefused';
  }
}

/** A compact JWS: three base64url parts. API keys (pa_...) never look like one. */
export function looksLikeJwt(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}

const ROLE_RANK: Readonly<Record<ApiKeyRole, number>> = {
  [ApiKeyRole.Admin]: 3,
  [ApiKeyRole.PrivacyOfficer]: 2,
  [ApiKeyRole.Auditor]: 1,
};

@Injectable()
export class OidcTokenVerifier {
  private jwks: RemoteJwks | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TenantDb) private readonly db: TenantDb,
  ) {}

  get enabled(): boolean {
    return this.config.OIDC_JWKS_URL !== undefined;
  }

  /** The caller a valid token stands for; TokenRefused otherwise. */
  async authenticate(token: string): Promise<AuthenticatedCaller> {
    const { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience } = this.config;
    if (!this.enabled || issuer === undefined || audience === undefined)
      throw new TokenRefused('bearer tokens are not accepted here (OIDC is not configured)');
    const jose = await import('jose');
    this.jwks ??= jose.createRemoteJWKSet(new URL(this.config.OIDC_JWKS_URL as string), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      [jose.customFetch]: guardedFetch(this.config.OUTBOUND_ALLOW_HOSTS),
    });
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(token, this.jwks, {
        issuer,
        audience,
        algorithms: [...this.config.OIDC_ALGORITHMS],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      }));
    } catch (e) {
      throw new TokenRefused(`the bearer token was refused: ${reasonOf(e)}`);
    }
    const role = this.roleOf(payload);
    if (role === undefined)
      throw new TokenRefused(`the token's '${this.config.OIDC_ROLE_CLAIM}' claim maps to no privaudit role`, true);
    return {
      keyId: subjectId(issuer, String(payload.sub)),
      role,
      tenantId: await this.tenantOf(payload),
      installationAdmin: false,
    };
  }

  /**
   * The tenant a token acts in: without OIDC_TENANT_CLAIM the default tenant; with it, the existing tenant whose id
   * the claim holds. A missing claim, or one naming no tenant, is refused (403: the token is genuine, it grants
   * nothing here) and never falls back to the default tenant.
   */
  private async tenantOf(payload: Record<string, unknown>): Promise<string> {
    const claimName = this.config.OIDC_TENANT_CLAIM;
    if (claimName === undefined) return DEFAULT_TENANT_ID;
    const claim = claimValue(payload, claimName);
    const noTenant = () =>
      new TokenRefused(`the token's '${claimName}' claim names no tenant of this installation`, true);
    if (typeof claim !== 'string' || !UUID.test(claim)) throw noTenant();
    // Installation-wide on purpose: authentication comes before any tenant is known (as the API-key lookup).
    const rows: unknown[] = await this.db.installation.query(`SELECT id FROM tenants WHERE id = $1`, [
      claim.toLowerCase(),
    ]);
    if (rows.length !== 1) throw noTenant();
    return claim.toLowerCase();
  }

  /** The highest role any of the claim's values maps to. */
  private roleOf(payload: Record<string, unknown>): ApiKeyRole | undefined {
    const claim = claimValue(payload, this.config.OIDC_ROLE_CLAIM);
    const values = (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === 'string');
    let best: ApiKeyRole | undefined;
    for (const { value, role } of this.config.OIDC_ROLE_MAP) {
      const r = role as ApiKeyRole;
      if (values.includes(value) && (best === undefined || ROLE_RANK[r] > ROLE_RANK[best])) best = r;
    }
    return best;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A claim by name; dots walk nested objects ('realm_access.roles'). */
function claimValue(payload: Record<string, unknown>, name: string): unknown {
  let claim: unknown = payload;
  for (const part of name.split('.'))
    claim = typeof claim === 'object' && claim !== null ? (claim as Record<string, unknown>)[part] : undefined;
  return claim;
}

/**
 * The id a token caller has in the access log and on receipts: a UUID made from sha256(issuer, subject), so one
 * person is one id across requests without storing the token.
 */
export function subjectId(issuer: string, subject: string): string {
  const h = createHash('sha256').update(`${issuer}\n${subject}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function reasonOf(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const claim = (e as { claim?: string }).claim;
  switch (typeof code === 'string' ? code : '') {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return 'wrong audience';
      if (claim === 'iss') return 'wrong issuer';
      if (claim === 'nbf') return 'not valid yet';
      return `claim '${claim ?? '?'}' is missing or invalid`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "no key of the issuer's JWKS matches it (unknown kid or algorithm)";
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return "several keys of the issuer's JWKS match it";
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'its signature does not verify';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'its algorithm is not allowed';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return "the issuer's JWKS could not be fetched";
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'it is not a well-formed signed JWT';
    default:
      // A refused JWKS destination, or a network failure: the message says which, never a token.
      for (let c: unknown = e; c instanceof Error; c = (c as { cause?: unknown }).cause)
        if (c instanceof RefusedJwksDestination) return c.message;
      return "the issuer's JWKS could not be fetched";
  }
}

class RefusedJwksDestination extends Error {}

/** fetch for jose: the outbound policy's checks, the address pinned, no redirect followed. */
function guardedFetch(allowHosts: readonly string[]) {
  const allowed = new Set(allowHosts.map((h) => h.toLowerCase()));
  const lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err || addresses.length === 0) return callback(err ?? new Error('no address'), '');
      if (!allowed.has(hostname.toLowerCase())) {
        for (const a of addresses) {
          const why = refusedAddressReason(a.address);
          if (why !== undefined)
            return callback(
              new RefusedJwksDestination(`the JWKS host resolves to ${why}; allow-list it or use a public host`),
              '',
            );
        }
      }
      const chosen = addresses[0] as LookupAddress;
      if (options.all === true) callback(null, [chosen]);
      else callback(null, chosen.address, chosen.family);
    });
  };
  const agent = new Agent({
    connect: { timeout: 5000, lookup: lookup as never },
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  return async (url: string, options: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal }) => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && !allowed.has(parsed.hostname.toLowerCase()))
      throw new RefusedJwksDestination('the JWKS URL must be https (plain http only to an allow-listed host)');
    const res = await undiciFetch(url, {
      method: options.method,
      headers: Object.fromEntries(options.headers.entries()),
      redirect: 'manual',
      signal: options.signal,
      dispatcher: agent,
    });
    return res as unknown as Response;
  };
}
