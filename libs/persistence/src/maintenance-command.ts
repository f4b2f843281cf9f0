// What the installation's maintenance commands (`npm run data-keys:rewrap`, `data-keys:seal-legacy`, `blobs:sweep`)
// share: their environment read as the service reads its own, their connection, and how they fail.
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import { describeConfigIssues } from '../../config/src/load-config';
import { openDataSource } from './data-source-options';

/**
 * The variables `schema` picks from the environment (empty counts as unset, as at boot). A bad one is named with what
 * is wrong, as the service says it at boot (libs/config's describeConfigIssues), never its value: every one of
 * these is a secret or may carry one.
 */
export function commandEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv = process.env): T {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) throw new Error([...new Set(describeConfigIssues(parsed.error.issues, env))].join('; '));
  return parsed.data;
}

/**
 * Runs `work` on the installation's own connection (migrations are the api's, never run here), then closes it. A
 * connection that fails names DATABASE_URL (the driver's reason, with the URL's password masked should it appear).
 */
export async function withInstallationConnection<T>(
  env: { readonly DATABASE_URL: string; readonly DATABASE_SCHEMA: string },
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  let dataSource: DataSource;
  try {
    dataSource = await openDataSource({ url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA }, { runMigrations: false });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    // The cause is kept for a debugger, never printed: runCommand prints the message alone.
    throw new Error(`cannot connect to the database of DATABASE_URL: ${withoutPassword(reason, env.DATABASE_URL)}`, {
      cause: e,
    });
  }
  try {
    await requireMigrated(dataSource, env.DATABASE_SCHEMA);
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Runs a command's main(): a failure prints `privaudit <name> failed: <message>` and exits 1. */
export function runCommand(name: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`privaudit ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

/**
 * Refuses a schema this build's migrations have not all been applied to (read only: nothing is created), naming
 * DATABASE_SCHEMA: a mistyped one would otherwise fail on a bare 'relation does not exist', or, for a sweep with no
 * file old enough, report success having looked at nothing. (Another installation's migrated schema passes: the
 * sweep's rule that STORAGE_DIR belongs to this installation alone still holds.)
 */
async function requireMigrated(dataSource: DataSource, schema: string): Promise<void> {
  const [{ table }] = (await dataSource.query(
    `SELECT to_regclass(format('%I.typeorm_migrations', $1::text)) AS table`,
    [schema],
  )) as [{ table: string | null }];
  const applied = new Set<string>(
    table === null
      ? []
      : ((await dataSource.query(`SELECT name FROM typeorm_migrations`)) as Array<{ name: string }>).map((r) => r.name),
  );
  const missing = dataSource.migrations.filter((m) => !applied.has(m.name ?? m.constructor.name)).length;
  if (missing > 0)
    throw new Error(
      `DATABASE_SCHEMA ${schema}: ${missing} migration(s) of this build are not applied there (the wrong schema? ` +
        'else start the api, or run npm run migration:run, first)',
    );
}

function withoutPassword(text: string, url: string): string {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return text; // validated as a URL before: not reached
  }
  let out = text;
  for (const p of new Set([password, safeDecode(password)])) if (p.length > 0) out = out.split(p).join('***');
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
