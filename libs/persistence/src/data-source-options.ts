import { DataSource, DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from './entities';

export interface DatabaseSettings {
  readonly url: string;
  readonly schema: string;
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
    extra: { options: `-c search_path=${db.schema}`, max: 10 },
  };
}

/**
 * Connects, creates the schema if needed and (when asked) runs pending migrations. The api runs them at
 * start-up (migrationsRun); the worker does not, so two processes never race on the same migration.
 */
export async function openDataSource(db: DatabaseSettings, opts: { runMigrations: boolean }): Promise<DataSource> {
  const dataSource = new DataSource(buildDataSourceOptions(db));
  await dataSource.initialize();
  if (opts.runMigrations) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    await dataSource.runMigrations({ transaction: 'all' });
  }
  return dataSource;
}
