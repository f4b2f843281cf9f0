// Which tenant the code running now acts for. Carried by AsyncLocalStorage through every await of a request
// (apps/api: TenantContextMiddleware opens it, ApiKeyGuard fills it in) or a job (apps/worker: the consumer runs each
// job in its payload's tenant). TenantDb reads it: a tenant-scoped query without a tenant fails closed.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';

/** The tenant the migration 1764190000000 creates; every row that predates tenants belongs to it. */
export const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-000000000001';

export interface TenantScope {
  /** Null until the request is authenticated (a middleware opens the scope before the guard knows the key). */
  tenantId: string | null;
  /** The transaction TenantDb opened for this tenant, reused by nested tenant-scoped calls. */
  manager?: EntityManager;
}

const storage = new AsyncLocalStorage<TenantScope>();

/** Runs `fn` acting for `tenantId` (a job, a scheduled tick, a webhook once its version's tenant is known). */
export function runInTenant<T>(tenantId: string, fn: () => T): T {
  return storage.run({ tenantId }, fn);
}

/** Opens an empty scope whose tenant is set later (setScopeTenant), e.g. by the api's guard. */
export function runInOpenScope<T>(fn: () => T): T {
  return storage.run({ tenantId: null }, fn);
}

/** Sets the tenant of the scope opened by runInOpenScope. Refuses to change a tenant already set. */
export function setScopeTenant(tenantId: string): void {
  const scope = storage.getStore();
  if (!scope) throw new NoTenantError('no tenant scope is open');
  if (scope.tenantId !== null && scope.tenantId !== tenantId)
    throw new NoTenantError('the tenant scope is already set');
  scope.tenantId = tenantId;
}

/** The tenant acted for now, or null outside any tenant scope. */
export function currentTenantId(): string | null {
  return storage.getStore()?.tenantId ?? null;
}

/** @internal TenantDb's access to the scope. */
export function currentScope(): TenantScope | undefined {
  return storage.getStore();
}

/** @internal */
export function runWithManager<T>(scope: TenantScope, manager: EntityManager, fn: () => Promise<T>): Promise<T> {
  return storage.run({ tenantId: scope.tenantId, manager }, fn);
}

export class NoTenantError extends Error {
  constructor(message = 'a tenant-scoped query ran without a tenant') {
    super(message);
    this.name = 'NoTenantError';
  }
}

/**
 * `target` with every method call run in `tenantId` (runInTenant): for code that acts for one fixed tenant, such
 * as a test or a script, without opening a scope around each call.
 */
export function boundToTenant<T extends object>(target: T, tenantId: string): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        runInTenant(tenantId, () => (value as (...a: unknown[]) => unknown).apply(obj, args));
    },
  });
}

/** The tenant acted for now; throws NoTenantError outside a tenant (fail closed). */
export function requireTenantId(): string {
  const tenantId = currentTenantId();
  if (tenantId === null) throw new NoTenantError();
  return tenantId;
}
