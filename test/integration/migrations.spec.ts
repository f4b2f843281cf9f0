// `npm run migration:run` and the api's start-up migrations against a real Postgres: several runs started at
// once on a fresh non-public schema take turns on the advisory lock (each migration applied once, every run
// succeeds), and the command needs DATABASE_URL only (no REDIS_URL).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';

jest.setTimeout(120_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCRIPT = join(__dirname, '../../dist/libs/persistence/src/run-migrations.js');
const run = promisify(execFile);

describe('migration:run', () => {
  const schema = `mig_${randomBytes(4).toString('hex')}`;
  const db = new DataSource({ type: 'postgres', url: DATABASE_URL });

  beforeAll(async () => {
    await db.initialize();
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  it('applies every migration exactly once when three runs race on a fresh schema, with no REDIS_URL', async () => {
    const env = { PATH: process.env.PATH, DATABASE_URL, DATABASE_SCHEMA: schema };
    const outcomes = await Promise.all([1, 2, 3].map(() => run(process.execPath, [SCRIPT], { env })));
    const lines = outcomes.map((o) => o.stdout.trim());
    expect(
      lines.filter((l) => l.startsWith(`applied ${ALL_MIGRATIONS.length} migration(s) to schema ${schema}`)),
    ).toHaveLength(1);
    expect(lines.filter((l) => l === `schema ${schema} is up to date`)).toHaveLength(2);
    const applied = (await db.query(`SELECT name FROM "${schema}".typeorm_migrations`)) as Array<{ name: string }>;
    expect(applied.map((r) => r.name).sort()).toEqual(ALL_MIGRATIONS.map((m) => new m().name).sort());
  });

  it('names a missing or empty DATABASE_URL without echoing anything', async () => {
    for (const env of [{ PATH: process.env.PATH }, { PATH: process.env.PATH, DATABASE_URL: '' }]) {
      const failed = await run(process.execPath, [SCRIPT], { env }).catch((e: { code: number; stderr: string }) => e);
      expect(failed).toMatchObject({ code: 1, stderr: 'privaudit migration:run failed: DATABASE_URL is required\n' });
    }
  });
});
