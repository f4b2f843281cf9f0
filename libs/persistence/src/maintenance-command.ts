// What the installation's maintenance commands (`npm run data-keys:rewrap`, `data-keys:seal-legacy`, `blobs:sweep`)
// share: their environment read as the service reads its own, their connection, and how they fail.
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import { openDataSource } from './data-source-options';

/**
 * The variables `schema` picks from the environment (empty counts as unset, as at boot). A bad one is named, never
 * its value: every one of these is a secret or may carry one.
 */
export function commandEnv<T>(schema: z.ZodType<T>): T {
  const given = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const variables = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new Error(`invalid ${variables.join(', ')}`);
  }
  return parsed.data;
}

/** Runs `work` on the installation's own connection (migrations are the api's, never run here), then closes it. */
export async function withInstallationConnection<T>(
  env: { readonly DATABASE_URL: string; readonly DATABASE_SCHEMA: string },
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = await openDataSource(
    { url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA },
    { runMigrations: false },
  );
  try {
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
