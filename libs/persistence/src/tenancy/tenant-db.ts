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
import { escapeLiteral } from 'pg';
import { QueryFailedError } from 'typeorm';
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

  /**
   * One read-only statement in the current tenant, in ONE round trip: START TRANSACTION READ ONLY, the two set_config
   * calls, the statement and COMMIT go as one simple-protocol query (2 round trips fewer than query(): no separate
   * opening and commit). Simple protocol carries no parameters, so each parameter is inlined as a SQL literal quoted
   * by node-postgres's escapeLiteral (strings and finite numbers; null as NULL). Row-level security holds as in run():
   * the statement runs after the role and app.tenant_id are set, both LOCAL to this transaction. Column values come
   * back as query() returns them (node-postgres parses the text format either way). Inside a tenant transaction: the
   * statement runs in it, with its parameters bound as usual.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as TypeORM's own query()
  read<T = any>(sql: string, params: readonly OneRoundTripParam[] = []): Promise<T[]> {
    return this.oneRoundTrip<T>(sql, params, true);
  }

  /** One writing statement in the current tenant, in one round trip and its own transaction (as read()). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as TypeORM's own query()
  write<T = any>(sql: string, params: readonly OneRoundTripParam[] = []): Promise<T[]> {
    return this.oneRoundTrip<T>(sql, params, false);
  }

  private async oneRoundTrip<T>(sql: string, params: readonly OneRoundTripParam[], readOnly: boolean): Promise<T[]> {
    const scope = currentScope();
    if (!scope || scope.tenantId === null) throw new NoTenantError();
    const active = scope.manager?.queryRunner;
    if (scope.manager && active && !active.isReleased && active.isTransactionActive)
      return (await scope.manager.query(sql, [...params])) as T[];
    const tenantId = scope.tenantId;
    if (!UUID_PATTERN.test(tenantId)) throw new NoTenantError('the tenant id is not a UUID');
    if (sql.includes(';')) throw new RangeError('TenantDb.read / write run one statement');
    const literals = params.map((p) => {
      if (p === null) return 'NULL';
      if (typeof p === 'string') return escapeLiteral(p);
      if (typeof p === 'number' && Number.isFinite(p)) return escapeLiteral(String(p));
      throw new TypeError('TenantDb.read / write take strings, finite numbers and null');
    });
    const statement = sql.replace(/\$(\d+)/g, (_m, n: string) => {
      const literal = literals[Number(n) - 1];
      if (literal === undefined) throw new RangeError(`TenantDb.read / write: no parameter $${n}`);
      return literal;
    });
    const text =
      `START TRANSACTION${readOnly ? ' READ ONLY' : ''}; SELECT set_config('role', '${this.role}', true), ` +
      `set_config('app.tenant_id', '${tenantId}', true); ${statement}; COMMIT`;
    const runner = (this.tenantLogin ?? this.installation).createQueryRunner();
    try {
      const client = (await runner.connect()) as { query(text: string): Promise<Array<{ rows: T[] }>> };
      try {
        const results = await client.query(text);
        const rows = results[2]?.rows;
        if (results.length !== 4 || !rows) throw new Error('TenantDb.read / write: unexpected result shape');
        return rows;
      } catch (e) {
        // A failing statement leaves the transaction open (aborted): never hand the pool a connection in one.
        await client.query('ROLLBACK').catch(() => undefined);
        throw e instanceof QueryFailedError || !(e instanceof Error) ? e : new QueryFailedError(sql, [...params], e);
      }
    } finally {
      await runner.release();
    }
  }

  /** One statement in the current tenant. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as TypeORM's own query()
  query<T = any>(sql: string, params?: unknown[]): Promise<T> {
    return this.run((em) => em.query(sql, params) as Promise<T>);
  }
}

/** A parameter of TenantDb.read / write (inlined as a quoted literal). */
export type OneRoundTripParam = string | number | null;

/** The calls repositories make, each in the current tenant's transaction. */
export interface TenantScopedRepository<E extends ObjectLiteral> {
  readonly metadata: Repository<E>['metadata'];
  create(input: DeepPartial<E>): E;
  save(entity: E): Promise<E>;
  find(options?: FindManyOptions<E>): Promise<E[]>;
  findOne(options: FindOneOptions<E>): Promise<E | null>;
  update(where: FindOptionsWhere<E>, set: Parameters<Repository<E>['update']>[1]): Promise<void>;
}
