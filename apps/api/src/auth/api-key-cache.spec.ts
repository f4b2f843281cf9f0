// The API-key cache's rules, on a hand-driven clock (the channel itself and two real api replicas are covered by
// test/e2e/api-key-cache.e2e.spec.ts).
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import { ApiKeyCache } from './api-key-cache';
import type { AuthenticatedCaller } from './api-key.service';

const caller: AuthenticatedCaller = {
  keyId: 'k1',
  role: ApiKeyRole.Admin,
  tenantId: '00000000-0000-4000-8000-000000000001',
  installationAdmin: false,
};

function cacheAt(ttlMs = 5000) {
  const state = { now: 1000, live: true };
  const cache = new ApiKeyCache(
    ttlMs,
    () => state.live,
    () => state.now,
  );
  return { cache, state };
}

describe('ApiKeyCache', () => {
  it('answers an authenticated key until its time to live, counted from before the lookup', () => {
    const { cache, state } = cacheAt(5000);
    const lookup = cache.beginLookup('e1');
    state.now += 40; // the lookup's round trip
    cache.put(lookup, 'h1', caller, null);
    expect(cache.get('h1', 'e1')).toBe(caller);
    expect(cache.get('h2', 'e1')).toBeNull();
    state.now = 1000 + 4999;
    expect(cache.get('h1', 'e1')).toBe(caller);
    state.now = 1000 + 5000;
    expect(cache.get('h1', 'e1')).toBeNull();
  });

  it("ends an entry when the key expires by the database's clock, even before the time to live", () => {
    const { cache, state } = cacheAt(5000);
    const lookup = cache.beginLookup('e1');
    cache.put(lookup, 'h1', caller, 1.5);
    state.now += 1499;
    expect(cache.get('h1', 'e1')).toBe(caller);
    state.now += 1;
    expect(cache.get('h1', 'e1')).toBeNull();
    // A key already past its expiry by the time the answer is in is not cached at all.
    const late = cache.beginLookup('e1');
    state.now += 20;
    cache.put(late, 'h2', caller, 0.01);
    expect(cache.get('h2', 'e1')).toBeNull();
  });

  it('forgets everything on a change, and a lookup that started before it cannot refill the cache', () => {
    const { cache } = cacheAt();
    cache.put(cache.beginLookup('e1'), 'h1', caller, null);
    const inFlight = cache.beginLookup('e1');
    cache.invalidate();
    expect(cache.get('h1', 'e1')).toBeNull();
    cache.put(inFlight, 'h2', caller, null);
    expect(cache.get('h2', 'e1')).toBeNull();
    cache.put(cache.beginLookup('e1'), 'h2', caller, null);
    expect(cache.get('h2', 'e1')).toBe(caller);
  });

  it('neither answers nor stores while the change channel is not live', () => {
    const { cache, state } = cacheAt();
    cache.put(cache.beginLookup('e1'), 'h1', caller, null);
    state.live = false;
    expect(cache.get('h1', 'e1')).toBeNull();
    cache.put(cache.beginLookup('e1'), 'h2', caller, null);
    state.live = true;
    expect(cache.get('h2', 'e1')).toBeNull();
    // What was cached before the channel went down is not trusted when it is back.
    expect(cache.get('h1', 'e1')).toBeNull();
  });

  it('caches nothing with a time to live of 0', () => {
    const { cache } = cacheAt(0);
    cache.put(cache.beginLookup('e1'), 'h1', caller, null);
    expect(cache.get('h1', 'e1')).toBeNull();
  });

  it('answers only under the epoch its lookup read, and caches nothing while the epoch is unreadable', () => {
    const { cache } = cacheAt();
    cache.put(cache.beginLookup('e1'), 'h1', caller, null);
    expect(cache.get('h1', 'e1')).toBe(caller);
    // Another replica revoked or rotated a key: the epoch moved before it answered.
    expect(cache.get('h1', 'e2')).toBeNull();
    expect(cache.get('h1', 'e1')).toBeNull();
    expect(cache.get('h1', null)).toBeNull();
    cache.put(cache.beginLookup(null), 'h2', caller, null);
    expect(cache.get('h2', 'e1')).toBeNull();
  });
});
