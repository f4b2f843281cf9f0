// `npm run data-keys:rewrap`: the second half of a master-key rotation (docs/security.md, "Rotating the master
// key"). With the new key in DATA_ENCRYPTION_KEY and the old one(s) in DATA_ENCRYPTION_PREVIOUS_KEYS, re-wraps every
// data key still wrapped under an old master key. Only the 61-byte wrapped keys change: no dataset is re-encrypted.
// Idempotent and safe to run while the service runs (each row is swapped with a compare-and-set).
import { appConfigObject } from '../../config/src/app-config.schema';
import { FilesystemBlobStore } from './blob-store/filesystem-blob-store';
import { commandEnv, runCommand, withInstallationConnection } from './maintenance-command';
import { DataVault } from './encryption/data-vault';
import { MasterKeyring } from './encryption/master-keyring';
import { TenantDb } from './tenancy/tenant-db';
import { TypeOrmDataKeyRepository } from './typeorm/typeorm-data-key.repository';

const rewrapEnv = appConfigObject.pick({
  DATABASE_URL: true,
  DATABASE_SCHEMA: true,
  STORAGE_DIR: true,
  DATA_ENCRYPTION_KEY: true,
  DATA_ENCRYPTION_PREVIOUS_KEYS: true,
});

async function main(): Promise<void> {
  const env = commandEnv(rewrapEnv);
  if (env.DATA_ENCRYPTION_KEY === undefined) throw new Error('DATA_ENCRYPTION_KEY (the new master key) is required');
  const keyring = new MasterKeyring(env.DATA_ENCRYPTION_KEY, env.DATA_ENCRYPTION_PREVIOUS_KEYS);
  await withInstallationConnection(env, async (dataSource) => {
    const vault = new DataVault(
      keyring,
      new TypeOrmDataKeyRepository(new TenantDb(dataSource)),
      new FilesystemBlobStore(env.STORAGE_DIR),
    );
    const { rewrapped, unreadable } = await vault.rewrapAll();
    process.stdout.write(
      `re-wrapped ${rewrapped} data key(s) under master key ${keyring.requireCurrent().id}` +
        (unreadable > 0
          ? `; ${unreadable} are wrapped under a master key that is not configured (add it to DATA_ENCRYPTION_PREVIOUS_KEYS)\n`
          : '\n'),
    );
    if (unreadable > 0) process.exitCode = 2;
  });
}

runCommand('data-keys:rewrap', main);
