// `npm run blobs:sweep [-- --min-age-hours <n>]`: removes blob files no row of any tenant uses and untouched for
// n hours (default 24), left by a crash between a deletion's commit and its file removal, or by an audit that
// stored artefacts and then did not record them (blob-store/orphan-blob-sweep.ts). Prints the counts. Safe to run
// while the service runs; STORAGE_DIR must belong to this installation (DATABASE_SCHEMA) alone.
import { parseArgs } from 'node:util';
import { appConfigObject } from '../../config/src/app-config.schema';
import { FilesystemBlobStore } from './blob-store/filesystem-blob-store';
import { sweepOrphanBlobs } from './blob-store/orphan-blob-sweep';
import { commandEnv, runCommand, withInstallationConnection } from './maintenance-command';
import { TenantDb } from './tenancy/tenant-db';

const sweepEnv = appConfigObject.pick({ DATABASE_URL: true, DATABASE_SCHEMA: true, STORAGE_DIR: true });

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'min-age-hours': { type: 'string', default: '24' } } });
  const hours = Number(values['min-age-hours']);
  if (!Number.isFinite(hours) || hours < 1) throw new Error('--min-age-hours must be a number of hours, at least 1');
  const env = commandEnv(sweepEnv);
  await withInstallationConnection(env, async (dataSource) => {
    const o = await sweepOrphanBlobs(
      new TenantDb(dataSource),
      new FilesystemBlobStore(env.STORAGE_DIR),
      hours * 3_600_000,
    );
    process.stdout.write(
      `examined ${o.examined} blob file(s) older than ${hours} h; removed ${o.removed} that no row uses\n`,
    );
  });
}

runCommand('blobs:sweep', main);
