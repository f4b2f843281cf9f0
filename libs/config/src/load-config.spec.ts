import { loadConfig, InvalidConfigError } from './load-config';

const base = { DATABASE_URL: 'postgres://u:s3cretpw@db:5432/x', REDIS_URL: 'redis://r:6379' };

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const c = loadConfig({ ...base, PORT: '8080' });
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_SCHEMA).toBe('public');
    expect(c.WORKER_CONCURRENCY).toBe(1);
  });

  it('names the variable but never echoes a secret value', () => {
    const key = 'short-secret-key';
    let err: unknown;
    try {
      loadConfig({ ...base, DATABASE_URL: 'mysql://u:s3cretpw@db/x', PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: key });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidConfigError);
    const message = (err as Error).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('PRIVAUDIT_BOOTSTRAP_ADMIN_KEY');
    expect(message).not.toContain('s3cretpw');
    expect(message).not.toContain(key);
  });

  it('validates the outbound settings: allow-listed hosts, the secrets key (never echoed), query budgets', () => {
    const c = loadConfig({ ...base, OUTBOUND_ALLOW_HOSTS: ' 127.0.0.1, models.internal ,[::1]' });
    expect(c.OUTBOUND_ALLOW_HOSTS).toEqual(['127.0.0.1', 'models.internal', '[::1]']);
    expect(loadConfig(base).OUTBOUND_ALLOW_HOSTS).toEqual([]);
    expect(() => loadConfig({ ...base, OUTBOUND_ALLOW_HOSTS: 'http://evil/' })).toThrow(/OUTBOUND_ALLOW_HOSTS/);
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ...base, SECRETS_ENCRYPTION_KEY: key }).SECRETS_ENCRYPTION_KEY).toBe(key);
    expect(loadConfig({ ...base, SECRETS_ENCRYPTION_KEY: '' }).SECRETS_ENCRYPTION_KEY).toBeUndefined();
    const short = Buffer.alloc(16, 9).toString('base64');
    let message = '';
    try {
      loadConfig({ ...base, SECRETS_ENCRYPTION_KEY: short });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/SECRETS_ENCRYPTION_KEY is invalid \(must be 32 bytes, base64/);
    expect(message).not.toContain(short);
    expect(loadConfig(base)).toMatchObject({ DEFAULT_QUERY_BUDGET: 10_000, MAX_QUERY_BUDGET: 100_000 });
    expect(() => loadConfig({ ...base, MAX_QUERY_BUDGET: '500' })).toThrow(
      /DEFAULT_QUERY_BUDGET: must not exceed MAX_QUERY_BUDGET/,
    );
  });

  it('reports a missing required variable', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379' })).toThrow(/DATABASE_URL is required/);
  });

  it('rejects a non-numeric limit naming it', () => {
    expect(() => loadConfig({ ...base, MAX_MODEL_BYTES: 'lots' })).toThrow(/MAX_MODEL_BYTES/);
  });

  it('sets the stall limit and the repair loop explicitly, and keeps the persistence override off unless asked', () => {
    const c = loadConfig(base);
    expect(c.WORKER_MAX_STALLED_COUNT).toBe(1);
    expect(c.AUDIT_REPAIR_INTERVAL_MS).toBe(60_000);
    expect(c.AUDIT_REPAIR_MIN_AGE_MS).toBe(60_000);
    expect(c.PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE).toBe(false);
    const tests = loadConfig({
      ...base,
      PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'true',
      WORKER_MAX_STALLED_COUNT: '0',
      AUDIT_REPAIR_INTERVAL_MS: '1000',
    });
    expect(tests.PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE).toBe(true);
    expect(tests.WORKER_MAX_STALLED_COUNT).toBe(0);
    expect(tests.AUDIT_REPAIR_INTERVAL_MS).toBe(1000);
    expect(() => loadConfig({ ...base, PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'yes' })).toThrow(
      /PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE/,
    );
    expect(() => loadConfig({ ...base, AUDIT_REPAIR_INTERVAL_MS: '0' })).toThrow(/AUDIT_REPAIR_INTERVAL_MS/);
  });
});
