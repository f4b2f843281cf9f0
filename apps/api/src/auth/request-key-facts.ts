// What the rate limiter (http/api-throttler.guard.ts, which runs first) learned about a request that authentication
// (ApiKeyGuard) reuses instead of working it out again (issue 11): the sha256 of the presented key, computed once
// per request, and the API-key change epoch read in the limiter's Redis round trip. Kept on the request object under
// a symbol (no client can set it) and only for that request: an epoch is read after its request arrived, so trusting
// it keeps revocation immediate (libs/queue/src/api-key-epoch.ts). Absent facts are worked out as before.
import { hashApiKey } from './api-key-secret';

const FACTS = Symbol('privaudit.requestKeyFacts');

interface KeyFacts {
  key?: string;
  keyHash?: string;
  epoch?: string;
}

type WithFacts = { [FACTS]?: KeyFacts };

function factsOf(req: object): KeyFacts {
  const holder = req as WithFacts;
  return (holder[FACTS] ??= {});
}

/** sha256 (hex) of the key this request presents: computed once, whoever asks first. */
export function presentedKeyHash(req: object, key: string): string {
  const facts = factsOf(req);
  if (facts.key !== key || facts.keyHash === undefined) {
    facts.key = key;
    facts.keyHash = hashApiKey(key);
  }
  return facts.keyHash;
}

/** The key-change epoch read for this request by the rate limiter. */
export function rememberEpoch(req: object, epoch: string): void {
  factsOf(req).epoch = epoch;
}

/** The epoch the rate limiter read for this request, or undefined (skipped, Redis down, no epoch yet). */
export function epochReadFor(req: object): string | undefined {
  return (req as WithFacts)[FACTS]?.epoch;
}
