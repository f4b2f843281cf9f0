// What privaudit may send to a remote endpoint, and where (issue 7; OWASP API Top 10 2023 API4 unrestricted
// resource consumption, API7 server-side request forgery). The service must not become a tool for attacking
// other people's APIs or the network it runs in:
// - only public unicast destinations, checked after DNS resolution, and the connection is made to the checked
//   address (destination-check.ts; outbound-client.ts pins it in undici's connect lookup: no DNS rebinding);
// - https only, except hosts an administrator allow-listed (allowHosts: also the only way to reach loopback or a
//   private network, which is how tests reach their local servers);
// - no redirects: a 3xx answer ends the audit (TARGET_FAILED naming the status), it is never followed;
// - before the first query to a host that is not allow-listed, its owner proves control of it
//   (verifyEndpointOwnership below);
// - a hard per-audit query budget checked against the planned queries before the first request, and limits
//   on rate, concurrency, time, answer size and consecutive failures.

import { createHash } from 'node:crypto';
import { EngineError, EngineErrorCode } from '../../errors';

export { assertPublicDestination, refusedAddressReason, type CheckedDestination } from './destination-check';

export interface OutboundPolicy {
  /**
   * Host names or IP literals (as in the URL, case-insensitive, no port) an administrator trusts: reachable over
   * plain http and on any address (loopback and private ones included), without an ownership proof. Default none.
   */
  readonly allowHosts: readonly string[];
  /** Hard cap on queries (rows answered by the endpoint) per audit, across retries and resumed runs. */
  readonly queryBudget: number;
  /** TCP + TLS connection set-up. */
  readonly connectTimeoutMs: number;
  /** From the request sent to the answer's headers. */
  readonly headersTimeoutMs: number;
  /** Longest silence while the answer's body arrives (undici's bodyTimeout), and the whole body's deadline. */
  readonly bodyTimeoutMs: number;
  /** An answer larger than this is cut off and the audit fails (an endless body cannot exhaust memory). */
  readonly maxResponseBytes: number;
  /** Requests started per second per host (a token bucket). */
  readonly requestsPerSecond: number;
  /** Requests in flight at once per host. */
  readonly maxConcurrency: number;
  /** Retries of one request after a 429, a 502/503/504 or a connection failure (then TARGET_FAILED). */
  readonly maxRetries: number;
  /** The longest Retry-After honoured; a longer one ends the audit instead of waiting for it. */
  readonly maxRetryAfterMs: number;
  /** Consecutive failed requests to a host after which its circuit opens and the audit ends. */
  readonly circuitBreakerFailures: number;
  /** Require the ownership proof before querying a host that is not allow-listed. Default true. */
  readonly requireOwnership: boolean;
}

/** A budget large enough for any membership audit of a few thousand rows with label-only, small enough to bound cost. */
export const DEFAULT_QUERY_BUDGET = 100_000;

export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = {
  allowHosts: [],
  queryBudget: DEFAULT_QUERY_BUDGET,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  maxResponseBytes: 16 * 1024 * 1024,
  requestsPerSecond: 20,
  maxConcurrency: 4,
  maxRetries: 3,
  maxRetryAfterMs: 30_000,
  circuitBreakerFailures: 5,
  requireOwnership: true,
};

/** The caller's policy fields over the defaults; every number checked (a field named, never a value). */
export function resolveOutboundPolicy(fields: Partial<OutboundPolicy> = {}): OutboundPolicy {
  const policy: OutboundPolicy = {
    ...DEFAULT_OUTBOUND_POLICY,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  };
  const positive: Array<keyof OutboundPolicy> = [
    'queryBudget',
    'connectTimeoutMs',
    'headersTimeoutMs',
    'bodyTimeoutMs',
    'maxResponseBytes',
    'requestsPerSecond',
    'maxConcurrency',
    'circuitBreakerFailures',
  ];
  for (const key of positive) {
    const v = policy[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (key !== 'requestsPerSecond' && !Number.isInteger(v)))
      throw new EngineError(EngineErrorCode.InvalidOption, `outbound policy: ${key} must be a positive integer`);
  }
  for (const key of ['maxRetries', 'maxRetryAfterMs'] as const) {
    const v = policy[key];
    if (!Number.isInteger(v) || v < 0)
      throw new EngineError(EngineErrorCode.InvalidOption, `outbound policy: ${key} must be a non-negative integer`);
  }
  return { ...policy, allowHosts: policy.allowHosts.map(normaliseAllowedHost) };
}

/** An allow-list entry as WHATWG URL spells the host ('LOCALHOST' -> 'localhost', '0x7f.1' -> '127.0.0.1', '[::1]'). */
export function normaliseAllowedHost(host: string): string {
  const bare = host.trim();
  try {
    const hostname = new URL(`http://${bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare}/`).hostname;
    if (hostname === '') throw new Error('empty');
    return hostname;
  } catch {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `outbound policy: allowHosts holds an entry that is not a host name or IP address`,
    );
  }
}

/** True when the URL's host is allow-listed (compared as WHATWG URL normalises hosts). */
export function isAllowListed(url: URL, policy: Pick<OutboundPolicy, 'allowHosts'>): boolean {
  return policy.allowHosts.includes(url.hostname.toLowerCase());
}

// ---- Ownership proof -------------------------------------------------------------------------------------------
//
// The owner of an endpoint is handed a token (the service generates one per registered endpoint; a CLI user
// makes one up, at least 16 characters). They publish it on the endpoint's origin, at
//
//     <origin>/.well-known/privaudit-verification/<id>     where <id> = first 32 hex digits of sha256(token)
//
// answering 200 with the token as the body (text, surrounding whitespace ignored). Only someone who controls
// what that origin serves can do that, and the path does not reveal the token. The check is one GET through the
// same guarded client as the queries (public destination, https, no redirects, timeouts, a 4 KiB cap): it is not
// a query and spends no budget. Allow-listed hosts skip it (an administrator vouched for them).

export const OWNERSHIP_WELL_KNOWN_PREFIX = '/.well-known/privaudit-verification/';
export const MIN_OWNERSHIP_TOKEN_LENGTH = 16;

/** The path segment under which the token is served. */
export function ownershipChallengeId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 32);
}

/** Where the owner serves the token for this endpoint. */
export function ownershipProofUrl(url: string, token: string): string {
  return `${new URL(url).origin}${OWNERSHIP_WELL_KNOWN_PREFIX}${ownershipChallengeId(token)}`;
}

/** How to prove ownership, for error messages (never the token itself: the id only). */
export function ownershipInstructions(url: string, token: string | undefined): string {
  const origin = new URL(url).origin;
  return token === undefined
    ? `prove control of ${origin}: choose a token of at least ${MIN_OWNERSHIP_TOKEN_LENGTH} characters, serve it as the body of ${origin}${OWNERSHIP_WELL_KNOWN_PREFIX}<first 32 hex digits of sha256(token)> and pass it as the ownership token (CLI --ownership-token), or have an administrator allow-list the host`
    : `serve the ownership token as the body of ${ownershipProofUrl(url, token)} (200, text), or have an administrator allow-list the host`;
}

export { verifyEndpointOwnership } from './endpoint-ownership';
