// The one way repositories reach tenant-owned tables (docs/ARCHITECTURE.md, "Tenants"). Every tenant-scoped call runs
// in a transaction that first switches to the tenant role (a NOLOGIN role without BYPASSRLS, see
// migrations/tenancy.ts) and sets app.tenant_id, both LOCAL to the transaction: Postgres's row-level security then
// shows and accepts only that tenant's rows, whatever the SQL says. Nested calls reuse the transaction (as a
// savepoint). `installation` is the connection's own role: only installation-wide work uses it (authentication by
// key prefix, the repair loop, metrics, creating tenants), never a request's data. With a tenant login
// (DATABASE_TENANT_URL, ./tenant-login.ts) the tenant transactions open on that connection instead, whose role cannot
// RESET ROLE out of row-level security; the same statements run on it (its role is a member of the tenant role).
import type {
  DataSource,
  DeepPartial,
  EntityManager,
  EntityTarget,
  FindManyOptions,
  FindOneOptions,
  FindOptionsWhere,
  ObjectLiteral,
  Repository,
} from 'typeorm';
import { currentScope, NoTenantError, runWithManager, type TenantScope } from './tenant-context';

/** Default name of the role tenant-scoped transactions run as (DATABASE_TENANT_ROLE). */
export const DEFAULT_TENANT_ROLE = 'privaudit_app';
export const TENANT_ROLE_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TenantDb {
  constructor(
    /** Installation-wide access (the connection's role). Never for a tenant's data. */
    readonly installation: DataSource,
    readonly role: string = DEFAULT_TENANT_ROLE,
    /** DATABASE_TENANT_URL's connection (checked by openTenantLogin), or none: tenant transactions use `installation`. */
    readonly tenantLogin?: DataSource,
  ) {
    if (!TENANT_ROLE_PATTERN.test(role)) throw new Error('DATABASE_TENANT_ROLE must be a lower-case SQL identifier');
  }

  /** Runs `fn` in a transaction bound to the current tenant (nested calls: a savepoint of the same transaction). */
  async run<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const scope = currentScope();
    if (!scope || scope.tenantId === null) throw new NoTenantError();
    // Inside a tenant transaction: a savepoint of it. (A promise that outlived its transaction finds the runner
    // released or idle, and opens a transaction of its own.)
    const runner = scope.manager?.queryRunner;
    if (scope.manager && runner && !runner.isReleased && runner.isTransactionActive) {
      return scope.manager.transaction((em) => fn(em));
    }
    return this.tenantTransaction(this.tenantLogin ?? this.installation, scope, fn);
  }

  /**
   * A transaction bound to the scope's tenant, opened in one round trip: BEGIN and both set_config calls go as one
   * simple-protocol query (node-postgres sends no parameters that way, so the two values are SQL literals: the role
   * matched TENANT_ROLE_PATTERN in the constructor and the tenant id must be a UUID here, so neither can carry a quote).
   * TypeORM is then told that its query runner is in a transaction, as its own startTransaction would have left it,
   * so nested calls take savepoints and entity saves open no transaction of their own.
   */
  private async tenantTransaction<T>(
    dataSource: DataSource,
    scope: TenantScope,
    fn: (em: EntityManager) => Promise<T>,
  ): Promise<T> {
    const tenantId = scope.tenantId;
    if (tenantId === null || !UUID_PATTERN.test(tenantId)) throw new NoTenantError('the tenant id is not a UUID');
    const runner = dataSource.createQueryRunner();
    try {
      try {
        await runner.query(
          `START TRANSACTION; SELECT set_config('role', '${this.role}', true), set_config('app.tenant_id', '${tenantId}', true)`,
        );
      } catch (e) {
        // The BEGIN may have run before the failing statement: never hand the pool a connection in a transaction.
        await runner.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
      Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
      try {
        const result = await runWithManager(scope, runner.manager, () => fn(runner.manager));
        await runner.commitTransaction();
        return result;
      } catch (e) {
        await runner.rollbackTransaction().catch(() => undefined); // the original error is the one that matters
        throw e;
      }
    } finally {
      await runner.release();
    }
  }

  /** A TypeORM repository whose every call runs in the current tenant (TenantDb.run). */
  repository<E extends ObjectLiteral>(entity: EntityTarget<E>): TenantScopedRepository<E> {
    const plain = this.installation.getRepository(entity);
    const inTenant = <T>(fn: (r: Repository<E>) => Promise<T>) => this.run((em) => fn(em.getRepository(entity)));
    return {
      metadata: plain.metadata,
      create: (input: DeepPartial<E>) => plain.create(input),
      save: (e: E) => inTenant((r) => r.save(e)),
      find: (o?: FindManyOptions<E>) => inTenant((r) => r.find(o)),
      findOne: (o: FindOneOptions<E>) => inTenant((r) => r.findOne(o)),
      update: async (where: FindOptionsWhere<E>, set: Parameters<Repository<E>['update']>[1]) => {
        await inTenant((r) => r.update(where, set));
      },
    };
  }

  /** One statement in the current tenant. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as TypeORM's own query()
  query<T = any>(sql: string, params?: unknown[]): Promise<T> {
    return this.run((em) => em.query(sql, params) as Promise<T>);
  }
}

/** The calls repositories make, each in the current tenant's transaction. */
export interface TenantScopedRepository<E extends ObjectLiteral> {
  readonly metadata: Repository<E>['metadata'];
  create(input: DeepPartial<E>): E;
  save(entity: E): Promise<E>;
  find(options?: FindManyOptions<E>): Promise<E[]>;
  findOne(options: FindOneOptions<E>): Promise<E | null>;
  update(where: FindOptionsWhere<E>, set: Parameters<Repository<E>['update']>[1]): Promise<void>;
}
