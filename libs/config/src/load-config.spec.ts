import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, InvalidConfigError } from './load-config';

const base = { DATABASE_URL: 'postgres://u:s3cretpw@db:5432/x', REDIS_URL: 'redis://r:6379' };

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const c = loadConfig({ ...base, PORT: '8080' });
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_SCHEMA).toBe('public');
    expect(c.WORKER_CONCURRENCY).toBe(1);
  });

  it('reads the retention settings: off unless set, a whole number of days, the purge interval', () => {
    expect(loadConfig(base).TENANT_RETENTION_DAYS).toBeUndefined();
    expect(loadConfig({ ...base, TENANT_RETENTION_DAYS: '' }).TENANT_RETENTION_DAYS).toBeUndefined();
    expect(loadConfig({ ...base, TENANT_RETENTION_DAYS: '90' }).TENANT_RETENTION_DAYS).toBe(90);
    for (const bad of ['0', '-1', '1.5', 'forever', '36501'])
      expect(() => loadConfig({ ...base, TENANT_RETENTION_DAYS: bad })).toThrow(/TENANT_RETENTION_DAYS/);
    expect(loadConfig(base).RETENTION_PURGE_INTERVAL_SECONDS).toBe(3600);
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

  it('takes an optional tenant login URL (a secret, never echoed) and the two pool sizes', () => {
    expect(loadConfig(base)).toMatchObject({ DATABASE_POOL_SIZE: 10, DATABASE_TENANT_POOL_SIZE: 10 });
    expect(loadConfig(base).DATABASE_TENANT_URL).toBeUndefined();
    expect(loadConfig({ ...base, DATABASE_TENANT_URL: '' }).DATABASE_TENANT_URL).toBeUndefined();
    const c = loadConfig({
      ...base,
      DATABASE_TENANT_URL: 'postgres://t:tenantpw99@db:5432/x',
      DATABASE_POOL_SIZE: '3',
      DATABASE_TENANT_POOL_SIZE: '20',
    });
    expect(c).toMatchObject({ DATABASE_POOL_SIZE: 3, DATABASE_TENANT_POOL_SIZE: 20 });
    expect(c.DATABASE_TENANT_URL).toBe('postgres://t:tenantpw99@db:5432/x');
    let message = '';
    try {
      loadConfig({ ...base, DATABASE_TENANT_URL: 'mysql://t:tenantpw99@db/x', DATABASE_TENANT_POOL_SIZE: '0' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('DATABASE_TENANT_URL is invalid (expected postgres://user@host:port/database)');
    expect(message).toContain('DATABASE_TENANT_POOL_SIZE');
    expect(message).not.toContain('tenantpw99');
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

  it('validates the data encryption keys (never echoed) and refuses one key for both jobs', () => {
    const data = Buffer.alloc(32, 3).toString('base64');
    const old = Buffer.alloc(32, 4).toString('base64');
    const c = loadConfig({ ...base, DATA_ENCRYPTION_KEY: data, DATA_ENCRYPTION_PREVIOUS_KEYS: ` ${old} ,` });
    expect(c.DATA_ENCRYPTION_KEY).toBe(data);
    expect(c.DATA_ENCRYPTION_PREVIOUS_KEYS).toEqual([old]);
    expect(loadConfig({ ...base, DATA_ENCRYPTION_KEY: '' }).DATA_ENCRYPTION_KEY).toBeUndefined();
    const messageOf = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig({ ...base, ...env });
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const short = Buffer.alloc(16, 9).toString('base64');
    expect(messageOf({ DATA_ENCRYPTION_KEY: short })).toMatch(/DATA_ENCRYPTION_KEY is invalid \(must be 32 bytes/);
    expect(messageOf({ DATA_ENCRYPTION_KEY: short })).not.toContain(short);
    expect(messageOf({ DATA_ENCRYPTION_PREVIOUS_KEYS: `${old},${short}` })).not.toContain(short);
    expect(messageOf({ DATA_ENCRYPTION_PREVIOUS_KEYS: `${old},${short}` })).toMatch(
      /DATA_ENCRYPTION_PREVIOUS_KEYS is invalid/,
    );
    const same = messageOf({ DATA_ENCRYPTION_KEY: data, SECRETS_ENCRYPTION_KEY: data });
    expect(same).toMatch(/DATA_ENCRYPTION_KEY is invalid \(must differ from SECRETS_ENCRYPTION_KEY/);
    expect(same).not.toContain(data);
  });

  it('validates the OIDC settings: all three or none, the JWKS under the outbound policy, the role map', () => {
    const oidc = {
      OIDC_ISSUER: 'https://idp.example/realms/r',
      OIDC_AUDIENCE: 'privaudit',
      OIDC_JWKS_URL: 'https://idp.example/realms/r/certs',
    };
    const c = loadConfig({ ...base, ...oidc, OIDC_ROLE_MAP: 'pa-admins=admin, dpo=privacy_officer ,a=b=auditor' });
    expect(c.OIDC_ROLE_MAP).toEqual([
      { value: 'pa-admins', role: 'admin' },
      { value: 'dpo', role: 'privacy_officer' },
      { value: 'a=b', role: 'auditor' },
    ]);
    expect(c.OIDC_ALGORITHMS).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
    expect(() => loadConfig({ ...base, OIDC_ISSUER: oidc.OIDC_ISSUER })).toThrow(
      /OIDC_ISSUER: OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL go together/,
    );
    const plain = { ...oidc, OIDC_JWKS_URL: 'http://idp.internal:8080/certs' };
    expect(() => loadConfig({ ...base, ...plain })).toThrow(/OIDC_JWKS_URL: must be https/);
    expect(loadConfig({ ...base, ...plain, OUTBOUND_ALLOW_HOSTS: 'idp.internal' }).OIDC_JWKS_URL).toBe(
      plain.OIDC_JWKS_URL,
    );
    expect(() => loadConfig({ ...base, ...oidc, OIDC_ROLE_MAP: 'x=root' })).toThrow(
      /OIDC_ROLE_MAP: must be value=role/,
    );
    expect(() => loadConfig({ ...base, ...oidc, OIDC_ALGORITHMS: 'none' })).toThrow(/OIDC_ALGORITHMS/);
    expect(() => loadConfig({ ...base, ...oidc, OIDC_ALGORITHMS: 'HS256' })).toThrow(/OIDC_ALGORITHMS/);
    // No tenant claim: tokens act in the default tenant; one named is kept as given (a dotted path).
    expect(loadConfig({ ...base, ...oidc }).OIDC_TENANT_CLAIM).toBeUndefined();
    expect(loadConfig({ ...base, ...oidc, OIDC_TENANT_CLAIM: 'org.tenant' }).OIDC_TENANT_CLAIM).toBe('org.tenant');
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

  it('checks REPORT_SIGNING_KEY_FILE at load: readable, PEM, Ed25519; never echoes the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'privaudit-config-'));
    try {
      const ed = join(dir, 'ed.pem');
      const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      writeFileSync(ed, pem);
      expect(loadConfig({ ...base, REPORT_SIGNING_KEY_FILE: ed }).REPORT_SIGNING_KEY_FILE).toBe(ed);
      const ec = join(dir, 'ec.pem');
      writeFileSync(
        ec,
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      expect(() => loadConfig({ ...base, REPORT_SIGNING_KEY_FILE: ec })).toThrow(
        /REPORT_SIGNING_KEY_FILE holds a ec key, not Ed25519/,
      );
      const garbage = join(dir, 'garbage.pem');
      writeFileSync(garbage, pem.slice(0, 60));
      let message = '';
      try {
        loadConfig({ ...base, REPORT_SIGNING_KEY_FILE: garbage });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/REPORT_SIGNING_KEY_FILE is not a PEM private key/);
      expect(message).not.toContain(pem.slice(30, 50));
      expect(() => loadConfig({ ...base, REPORT_SIGNING_KEY_FILE: join(dir, 'missing.pem') })).toThrow(
        /REPORT_SIGNING_KEY_FILE cannot be read \(ENOENT\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
