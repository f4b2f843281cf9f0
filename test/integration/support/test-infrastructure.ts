import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { openDataSource } from '../../../libs/persistence/src/data-source-options';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh Postgres schema per suite, migrated: suites never see each other's rows. */
export async function openTestSchema(
  label: string,
): Promise<{ dataSource: DataSource; schema: string; drop: () => Promise<void> }> {
  const schema = `t_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const dataSource = await openDataSource({ url: DATABASE_URL, schema }, { runMigrations: true });
  return {
    dataSource,
    schema,
    drop: async () => {
      await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  };
}

export function uniqueQueuePrefix(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}
