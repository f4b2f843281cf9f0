// `npm run data-keys:seal-legacy`: seals, in place, the datasets uploaded before encryption at rest (key_id NULL,
// plaintext blobs), then removes the plaintext blobs nothing uses any more (encryption/legacy-dataset-sealer.ts).
// Idempotent and safe to run while the service runs. Prints counts; exit 2 when some dataset could not be sealed
// (its plaintext blob is missing or no longer matches its sha256), 0 otherwise.
import { appConfigObject } from '../../config/src/app-config.schema';
import { FilesystemBlobStore } from './blob-store/filesystem-blob-store';
import { commandEnv, runCommand, withInstallationConnection } from './maintenance-command';
import { LegacyDatasetSealer } from './encryption/legacy-dataset-sealer';
import { MasterKeyring } from './encryption/master-keyring';
import { TenantDb } from './tenancy/tenant-db';

const sealEnv = appConfigObject.pick({
  DATABASE_URL: true,
  DATABASE_SCHEMA: true,
  DATABASE_TENANT_ROLE: true,
  STORAGE_DIR: true,
  DATA_ENCRYPTION_KEY: true,
  DATA_ENCRYPTION_PREVIOUS_KEYS: true,
});

async function main(): Promise<void> {
  const env = commandEnv(sealEnv);
  if (env.DATA_ENCRYPTION_KEY === undefined) throw new Error('DATA_ENCRYPTION_KEY (the master key) is required');
  const keyring = new MasterKeyring(env.DATA_ENCRYPTION_KEY, env.DATA_ENCRYPTION_PREVIOUS_KEYS);
  await withInstallationConnection(env, async (dataSource) => {
    const sealer = new LegacyDatasetSealer(
      new TenantDb(dataSource, env.DATABASE_TENANT_ROLE),
      keyring,
      new FilesystemBlobStore(env.STORAGE_DIR),
    );
    const o = await sealer.run();
    process.stdout.write(
      `sealed ${o.sealed} dataset(s) under master key ${keyring.requireCurrent().id}; ` +
        `${o.raced} deleted or sealed meanwhile; ${o.plaintextRemoved} plaintext file(s) removed` +
        (o.plaintextKept > 0 ? `, ${o.plaintextKept} kept while active audits use them (run again later)` : '') +
        (o.missing > 0 ? `; ${o.missing} left unsealed: their file is missing from STORAGE_DIR` : '') +
        (o.mismatched > 0 ? `; ${o.mismatched} left unsealed: their file no longer matches its sha256` : '') +
        '\n',
    );
    if (o.missing + o.mismatched > 0) process.exitCode = 2;
  });
}

runCommand('data-keys:seal-legacy', main);
