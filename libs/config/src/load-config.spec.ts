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

  it('reports a missing required variable', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379' })).toThrow(/DATABASE_URL is required/);
  });

  it('reads an empty variable as unset: the default applies, and a required one is reported as set but empty', () => {
    const c = loadConfig({ ...base, MAX_REFERENCE_SECONDS: '', WORKER_CONCURRENCY: '', LOG_LEVEL: '' });
    expect(c.MAX_REFERENCE_SECONDS).toBe(14_400);
    expect(c.WORKER_CONCURRENCY).toBe(1);
    expect(c.LOG_LEVEL).toBe('info');
    expect(() => loadConfig({ ...base, DATABASE_URL: '' })).toThrow(
      /^invalid configuration: DATABASE_URL is required \(it is set but empty\)$/,
    );
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
