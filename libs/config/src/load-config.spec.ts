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

  it('rejects a non-numeric limit naming it', () => {
    expect(() => loadConfig({ ...base, MAX_MODEL_BYTES: 'lots' })).toThrow(/MAX_MODEL_BYTES/);
  });
});
