import type { DataSource } from 'typeorm';
import {
  boundToTenant,
  currentTenantId,
  NoTenantError,
  requireTenantId,
  runInOpenScope,
  runInTenant,
  setScopeTenant,
} from './tenant-context';
import { TenantDb } from './tenant-db';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';

describe('tenant context', () => {
  it('carries the tenant through awaits and timers, and has none outside', async () => {
    expect(currentTenantId()).toBeNull();
    await runInTenant(T1, async () => {
      await new Promise((r) => setTimeout(r, 5));
      expect(currentTenantId()).toBe(T1);
      await runInTenant(T2, async () => expect(requireTenantId()).toBe(T2));
      expect(currentTenantId()).toBe(T1);
    });
    expect(() => requireTenantId()).toThrow(NoTenantError);
  });

  it('lets an open scope be set once (the guard), and never switched to another tenant', async () => {
    await runInOpenScope(async () => {
      expect(currentTenantId()).toBeNull();
      await Promise.resolve();
      setScopeTenant(T1);
      await new Promise((r) => setImmediate(r));
      expect(currentTenantId()).toBe(T1);
      setScopeTenant(T1);
      expect(() => setScopeTenant(T2)).toThrow(NoTenantError);
      expect(currentTenantId()).toBe(T1);
    });
    expect(() => setScopeTenant(T1)).toThrow(/no tenant scope is open/);
  });

  it('binds every method call of an object to a tenant', async () => {
    const probe = boundToTenant({ tenant: async () => currentTenantId(), label: 'x' }, T2);
    expect(await probe.tenant()).toBe(T2);
    expect(probe.label).toBe('x');
    expect(currentTenantId()).toBeNull();
  });

  // A query outside a tenant is refused against the real Postgres in test/integration/tenant-isolation.spec.ts.
  it('refuses a tenant role name that is not a plain SQL identifier', () => {
    expect(() => new TenantDb({} as DataSource, 'Robert"; DROP')).toThrow(/DATABASE_TENANT_ROLE/);
  });
});
