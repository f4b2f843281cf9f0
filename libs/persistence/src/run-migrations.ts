// `npm run migration:run`: applies pending migrations and exits. Needs only DATABASE_URL (and DATABASE_SCHEMA,
// default public): no Redis, no other service variable. Creates a non-public schema if it does not exist, and
// takes the same advisory lock as the api's start-up, so it can run while api replicas start.
import { appConfigObject } from '../../config/src/app-config.schema';
import { openDataSource, runMigrationsLocked } from './data-source-options';

// The service's own checks of the two variables, nothing else.
const databaseEnv = appConfigObject.pick({ DATABASE_URL: true, DATABASE_SCHEMA: true });

async function main(): Promise<void> {
  const given = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ''));
  const parsed = databaseEnv.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'DATABASE_URL');
    // Never the value: a URL can carry a password.
    throw new Error(
      given[variable] === undefined
        ? `${variable} is required`
        : `${variable} is invalid${variable === 'DATABASE_URL' ? ' (expected postgres://user@host:port/database)' : `: ${issue?.message}`}`,
    );
  }
  const { DATABASE_URL: url, DATABASE_SCHEMA: schema } = parsed.data;
  const before = Date.now();
  const dataSource = await openDataSource({ url, schema }, { runMigrations: false });
  try {
    const applied = await runMigrationsLocked(dataSource, schema);
    process.stdout.write(
      applied.length > 0
        ? `applied ${applied.length} migration(s) to schema ${schema} in ${Date.now() - before} ms: ${applied.join(', ')}\n`
        : `schema ${schema} is up to date\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`privaudit migration:run failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
