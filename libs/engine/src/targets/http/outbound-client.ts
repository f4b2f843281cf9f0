// The one HTTP client that talks to remote targets, on undici (Node's own HTTP client), under an OutboundPolicy:
// - the destination: http(s) only, https unless allow-listed, IP literals checked before each request, host
//   names resolved in undici's connect `lookup`, every address checked and the socket opened to the checked
//   address (no second resolution, so no DNS rebinding). Redirects are never followed: a 3xx fails the request;
// - limits per host (one client per target): a token bucket of requestsPerSecond, at most maxConcurrency requests
//   in flight, connect / headers / body timeouts, a response size cap (the body is read chunk by chunk and the
//   socket destroyed past the cap), retries of 429 (Retry-After honoured up to maxRetryAfterMs), 5xx and
//   connection failures with bounded backoff, and a circuit breaker that opens after circuitBreakerFailures
//   consecutive failures;
// - messages name the host and what went wrong: never a header value, a URL's query string or a data value.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import type { Agent } from 'undici';

// undici is loaded on first use: an audit of a local ONNX file never pays for it (its child process has a small
// heap limit, and loading undici costs about 15 MB of it).
type Undici = typeof import('undici');
let undiciModule: Undici | undefined;
function undici(): Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  undiciModule ??= require('undici') as Undici;
  return undiciModule;
}
import { EngineError, EngineErrorCode } from '../../errors';
import { refusedAddressReason } from './destination-check';
import type { OutboundPolicy } from './outbound-policy';
import type { QueryMeter } from './query-meter';

export interface OutboundResponse {
  readonly status: number;
  readonly body: Buffer;
}

type Resolver = (hostname: string, cb: (err: Error | null, addresses: LookupAddress[]) => void) => void;

const defaultResolver: Resolver = (hostname, cb) => dnsLookup(hostname, { all: true, verbatim: true }, cb);

/** Thrown inside undici's connect lookup; carried out as the request's cause. */
class RefusedDestination extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in milliseconds (seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class OutboundClient {
  private readonly agent: Agent;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private nextStart = 0;
  private consecutiveFailures = 0;
  private lastFailure = '';
  /** Requests sent (attempts included), for reports and tests. */
  requestsSent = 0;

  constructor(
    private readonly policy: OutboundPolicy,
    resolver: Resolver = defaultResolver,
  ) {
    const allowHosts = policy.allowHosts;
    const lookup = (
      hostname: string,
      options: { all?: boolean; family?: number },
      callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
    ): void => {
      resolver(hostname, (err, addresses) => {
        if (err || addresses.length === 0) {
          callback(new RefusedDestination('the host name does not resolve'), '');
          return;
        }
        if (!allowHosts.includes(hostname.toLowerCase())) {
          for (const a of addresses) {
            const why = refusedAddressReason(a.address);
            if (why !== undefined) {
              callback(
                new RefusedDestination(
                  `it resolves to ${why}; only public unicast destinations may be queried (or allow-list the host)`,
                ),
                '',
              );
              return;
            }
          }
        }
        // Connect to the address just checked: the socket never resolves the name again.
        const chosen = addresses[0] as LookupAddress;
        if (options.all === true) callback(null, [chosen]);
        else callback(null, chosen.address, chosen.family);
      });
    };
    this.agent = new (undici().Agent)({
      connect: { timeout: policy.connectTimeoutMs, lookup: lookup as never },
      headersTimeout: policy.headersTimeoutMs,
      bodyTimeout: policy.bodyTimeoutMs,
      connections: policy.maxConcurrency,
    });
  }

  /** The URL as messages show it. */
  static label(url: URL): string {
    return url.host;
  }

  /** Checks what can be checked without DNS: scheme, credentials, https unless allow-listed, IP literals. */
  checkUrl(url: URL): void {
    const fail = (why: string): never => {
      throw new EngineError(EngineErrorCode.TargetDestinationRefused, `remote target ${url.host}: refused: ${why}`);
    };
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('only http(s) URLs are allowed');
    if (url.username !== '' || url.password !== '') fail('credentials in the URL are not allowed');
    const allowListed = this.policy.allowHosts.includes(url.hostname.toLowerCase());
    if (!allowListed && url.protocol !== 'https:') fail('https is required (plain http only to an allow-listed host)');
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!allowListed && ipaddr.isValid(host)) {
      const why = refusedAddressReason(host);
      if (why !== undefined)
        fail(`it is ${why}; only public unicast destinations may be queried (or allow-list the host)`);
    }
  }

  /**
   * POSTs a JSON body carrying `rows` queries (spent on the meter before each attempt) and returns the answer's
   * parsed JSON. Throws EngineError TARGET_FAILED / TARGET_DESTINATION_REFUSED.
   */
  async postJson(
    url: URL,
    body: unknown,
    headers: Readonly<Record<string, string>>,
    rows: number,
    meter: QueryMeter,
  ): Promise<unknown> {
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const response = await this.send(url, 'POST', payload, headers, this.policy.maxResponseBytes, () =>
      meter.spend(rows),
    );
    if (response.status < 200 || response.status > 299) this.failStatus(url, response.status);
    try {
      return JSON.parse(response.body.toString('utf8')) as unknown;
    } catch {
      throw new EngineError(
        EngineErrorCode.TargetFailed,
        `remote target ${url.host}: the answer is not valid JSON (${response.body.length} bytes)`,
      );
    }
  }

  /**
   * POSTs a JSON document already serialised (a signed notification: the bytes signed are the bytes sent) and
   * returns the answer, whatever its status below 300 or in 400-499; redirects, 429 and 5xx throw TARGET_FAILED
   * after the policy's retries. No budget is spent; the answer is capped at maxBytes.
   */
  async postBytes(
    url: URL,
    payload: Buffer,
    headers: Readonly<Record<string, string>>,
    maxBytes: number,
  ): Promise<OutboundResponse> {
    return this.send(url, 'POST', payload, headers, maxBytes, () => Promise.resolve());
  }

  /** GETs a small text resource (the ownership proof): no budget spent, capped at maxBytes. */
  async getText(url: URL, maxBytes: number): Promise<OutboundResponse> {
    return this.send(url, 'GET', undefined, {}, maxBytes, () => Promise.resolve());
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private failStatus(url: URL, status: number): never {
    const hint =
      status === 401 || status === 403
        ? ' (check the authentication header, --target-header)'
        : status === 404
          ? ' (check the URL and model name)'
          : '';
    throw new EngineError(EngineErrorCode.TargetFailed, `remote target ${url.host}: answered HTTP ${status}${hint}`);
  }

  private async send(
    url: URL,
    method: 'GET' | 'POST',
    payload: Buffer | undefined,
    headers: Readonly<Record<string, string>>,
    maxBytes: number,
    beforeAttempt: () => Promise<void>,
  ): Promise<OutboundResponse> {
    this.checkUrl(url);
    const host = url.host;
    for (let attempt = 0; ; attempt++) {
      this.assertCircuitClosed(host);
      await this.acquire();
      let outcome: { response?: OutboundResponse; retryable?: string; waitMs?: number };
      try {
        await beforeAttempt();
        this.requestsSent += 1;
        outcome = await this.attempt(url, method, payload, headers, maxBytes);
      } finally {
        this.release();
      }
      const { response } = outcome;
      if (response !== undefined) {
        if (response.status >= 300 && response.status < 400) {
          this.consecutiveFailures = 0;
          throw new EngineError(
            EngineErrorCode.TargetFailed,
            `remote target ${host}: answered a redirect (HTTP ${response.status}); redirects are never followed`,
          );
        }
        if (response.status === 429 || response.status >= 500) {
          const why = `HTTP ${response.status}`;
          if (response.status >= 500) this.recordFailure(why);
          if (attempt >= this.policy.maxRetries) {
            throw new EngineError(
              EngineErrorCode.TargetFailed,
              `remote target ${host}: answered ${why} ${attempt + 1} time(s) in a row${response.status === 429 ? ' (rate limited)' : ''}; giving up`,
            );
          }
          const wait = outcome.waitMs ?? this.backoff(attempt);
          if (wait > this.policy.maxRetryAfterMs) {
            throw new EngineError(
              EngineErrorCode.TargetFailed,
              `remote target ${host}: answered ${why} asking to wait ${Math.ceil(wait / 1000)} s, longer than the ${Math.ceil(this.policy.maxRetryAfterMs / 1000)} s the policy allows`,
            );
          }
          await sleep(wait);
          continue;
        }
        this.consecutiveFailures = 0;
        return response;
      }
      const why = outcome.retryable ?? 'the request failed';
      this.recordFailure(why);
      if (attempt >= this.policy.maxRetries) {
        throw new EngineError(
          EngineErrorCode.TargetFailed,
          `remote target ${host}: ${why} (${attempt + 1} attempt(s)); giving up`,
        );
      }
      await sleep(this.backoff(attempt));
    }
  }

  private async attempt(
    url: URL,
    method: 'GET' | 'POST',
    payload: Buffer | undefined,
    headers: Readonly<Record<string, string>>,
    maxBytes: number,
  ): Promise<{ response?: OutboundResponse; retryable?: string; waitMs?: number }> {
    const host = url.host;
    let res;
    try {
      res = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: {
          ...headers,
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload !== undefined ? { body: payload } : {}),
      });
    } catch (error) {
      const refused = findRefusal(error);
      if (refused !== undefined) {
        throw new EngineError(EngineErrorCode.TargetDestinationRefused, `remote target ${host}: refused: ${refused}`);
      }
      return { retryable: describeNetworkError(error, this.policy) };
    }
    const status = res.statusCode;
    const waitMs = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
    if (status >= 300) {
      // The body of a refused or failed answer is not needed: drop the connection's rest of it.
      discard(res.body);
      return { response: { status, body: Buffer.alloc(0) }, ...(waitMs !== undefined ? { waitMs } : {}) };
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(res.body);
      throw this.tooLarge(host, maxBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.body.on('error', () => undefined);
    const deadline = setTimeout(() => res.body.destroy(new Error('body deadline')), this.policy.bodyTimeoutMs);
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > maxBytes) {
          discard(res.body);
          throw this.tooLarge(host, maxBytes);
        }
        chunks.push(buf);
      }
    } catch (error) {
      if (error instanceof EngineError) throw error;
      return { retryable: describeNetworkError(error, this.policy) };
    } finally {
      clearTimeout(deadline);
    }
    return { response: { status, body: Buffer.concat(chunks, size) } };
  }

  private tooLarge(host: string, maxBytes: number): EngineError {
    return new EngineError(
      EngineErrorCode.TargetFailed,
      `remote target ${host}: the answer exceeds the ${maxBytes}-byte response cap; stopped reading it`,
    );
  }

  private backoff(attempt: number): number {
    return Math.min(this.policy.maxRetryAfterMs, 200 * 2 ** attempt);
  }

  private recordFailure(why: string): void {
    this.consecutiveFailures += 1;
    this.lastFailure = why;
  }

  private assertCircuitClosed(host: string): void {
    if (this.consecutiveFailures >= this.policy.circuitBreakerFailures) {
      throw new EngineError(
        EngineErrorCode.TargetFailed,
        `remote target ${host}: circuit open after ${this.consecutiveFailures} consecutive failures (last: ${this.lastFailure}); the audit stops querying it`,
      );
    }
  }

  /** Waits for a concurrency slot and for the rate limiter's next start time. */
  private async acquire(): Promise<void> {
    if (this.inFlight >= this.policy.maxConcurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight += 1;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + 1000 / this.policy.requestsPerSecond;
    if (start > now) await sleep(start - now);
  }

  private release(): void {
    this.inFlight -= 1;
    this.waiting.shift()?.();
  }
}

/** Stops reading an answer's body and closes its connection, without an unhandled 'error' event. */
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function findRefusal(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    if (e instanceof RefusedDestination) return e.reason;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeNetworkError(error: unknown, policy: OutboundPolicy): string {
  if (error instanceof undici().errors.ConnectTimeoutError) return `no connection within ${policy.connectTimeoutMs} ms`;
  if (error instanceof undici().errors.HeadersTimeoutError) return `no answer within ${policy.headersTimeoutMs} ms`;
  if (error instanceof undici().errors.BodyTimeoutError)
    return `the answer's body stalled for more than ${policy.bodyTimeoutMs} ms`;
  const code = (error as { code?: unknown }).code;
  if (error instanceof Error && error.message === 'body deadline')
    return `the answer's body took longer than ${policy.bodyTimeoutMs} ms`;
  if (typeof code === 'string') return `connection failed (${code})`;
  return 'connection failed';
}
