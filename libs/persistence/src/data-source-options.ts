import { DataSource, DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from './entities';

export interface DatabaseSettings {
  readonly url: string;
  readonly schema: string;
  /** Connections in the pool (default 10): DATABASE_POOL_SIZE, or DATABASE_TENANT_POOL_SIZE for the tenant login. */
  readonly poolSize?: number;
}

/** One definition of the connection for the api, the worker, the typeorm CLI and the tests. */
export function buildDataSourceOptions(db: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: db.url,
    schema: db.schema,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // The schema is only ever changed by migrations.
    synchronize: false,
    migrationsRun: false,
    // Unqualified table names in migrations and raw queries resolve to the configured schema.
    extra: { options: `-c search_path=${db.schema}`, max: db.poolSize ?? 10 },
  };
}

/** Key of the session-level advisory lock migrations run under (one per schema). */
const MIGRATION_LOCK_NAMESPACE = 'privaudit:migrations:';

/**
 * Connects, creates the schema if needed and (when asked) runs pending migrations. The api runs them at start-up and
 * `npm run migration:run` on demand; several api replicas starting together take turns on a Postgres advisory lock
 * (per schema), so each migration runs once and the others find nothing pending. The worker never migrates.
 */
export async function openDataSource(db: DatabaseSettings, opts: { runMigrations: boolean }): Promise<DataSource> {
  const dataSource = new DataSource(buildDataSourceOptions(db));
  await dataSource.initialize();
  if (opts.runMigrations) {
    try {
      await runMigrationsLocked(dataSource, db.schema);
    } catch (e) {
      await dataSource.destroy();
      throw e;
    }
  }
  return dataSource;
}

/** Runs pending migrations while holding the schema's advisory lock (held by one dedicated session). */
export async function runMigrationsLocked(dataSource: DataSource, schema: string): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext($1))`, [MIGRATION_LOCK_NAMESPACE + schema]);
    try {
      await lock.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}"`);
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      return applied.map((m) => m.name);
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [MIGRATION_LOCK_NAMESPACE + schema]);
    }
  } finally {
    await lock.release();
  }
}
