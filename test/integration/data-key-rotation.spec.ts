// Master-key rotation against a real Postgres: data keys wrapped under the old master key are re-wrapped under the
// new one (DataVault.rewrapAll, the core of `npm run data-keys:rewrap`); a sealed file still opens afterwards, with
// the new key alone; a key wrapped under a master key that was not given is counted, never changed; sealed
// reference weights round-trip through the Postgres store and a destroyed key makes them a miss.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { MlpWeights } from '../../libs/engine/src/training/mlp';
import { FilesystemBlobStore } from '../../libs/persistence/src/blob-store/filesystem-blob-store';
import { DataVault } from '../../libs/persistence/src/encryption/data-vault';
import { MasterKeyring, masterKeyId } from '../../libs/persistence/src/encryption/master-keyring';
import { PostgresReferenceModelStore } from '../../libs/persistence/src/postgres-reference-model-store';
import { TypeOrmDataKeyRepository } from '../../libs/persistence/src/typeorm/typeorm-data-key.repository';
import { TypeOrmReferenceModelRepository } from '../../libs/persistence/src/typeorm/typeorm-reference-model.repository';
import { boundToTenant, DEFAULT_TENANT_ID, TenantDb } from '../../libs/persistence/src/tenancy';
import { openTestSchema } from './support/test-infrastructure';

const CSV = 'id,age,label\nalice,34,1\nbob,51,0\n';

describe('data keys: rotation and sealed reference models', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let dir: string;
  let db: TenantDb;
  const oldKey = randomBytes(32).toString('base64');
  const newKey = randomBytes(32).toString('base64');
  const lostKey = randomBytes(32).toString('base64');
  beforeAll(async () => {
    ({ dataSource, drop, tenantDb: db } = await openTestSchema('datakeys'));
    dir = mkdtempSync(join(tmpdir(), 'privaudit-datakeys-'));
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const vaultWith = (current: string, previous: string[] = []) =>
    new DataVault(
      new MasterKeyring(current, previous),
      boundToTenant(new TypeOrmDataKeyRepository(db), DEFAULT_TENANT_ID),
      new FilesystemBlobStore(join(dir, 'storage')),
    );

  it('re-wraps every data key under the new master key; files open with the new key alone', async () => {
    const plain = join(dir, 'members.csv');
    writeFileSync(plain, CSV);
    const before = vaultWith(oldKey);
    const sealed = await before.sealNewFile(plain);
    const other = await before.sealNewFile(plain);
    await vaultWith(lostKey).createKey(); // wrapped under a master key nobody will give the rotation

    const rotating = vaultWith(newKey, [oldKey]);
    expect(await rotating.rewrapAll(1)).toEqual({ rewrapped: 2, unreadable: 1 });
    expect(await rotating.rewrapAll()).toEqual({ rewrapped: 0, unreadable: 1 }); // idempotent
    const rows: Array<{ master_key_id: string; n: number }> = await dataSource.query(
      `SELECT master_key_id, count(*)::int AS n FROM data_keys GROUP BY master_key_id ORDER BY n DESC`,
    );
    expect(rows).toEqual([
      { master_key_id: masterKeyId(Buffer.from(newKey, 'base64')), n: 2 },
      { master_key_id: masterKeyId(Buffer.from(lostKey, 'base64')), n: 1 },
    ]);

    const after = vaultWith(newKey); // the old key is gone from the configuration
    const file = { sha256: 'unused', ...sealed };
    await after.openFile(file, join(dir, 'opened.csv'), 'dataset members');
    expect(readFileSync(join(dir, 'opened.csv'), 'utf8')).toBe(CSV);
    await expect(vaultWith(oldKey).openFile({ sha256: 'x', ...other }, join(dir, 'o2.csv'), 'd')).rejects.toThrow(
      /neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_PREVIOUS_KEYS/,
    );
  });

  it('seals reference weights under a data key; a destroyed key makes them a miss, never plaintext', async () => {
    const vault = vaultWith(newKey);
    const { keyId } = await vault.createKey();
    const repo = boundToTenant(new TypeOrmReferenceModelRepository(db), DEFAULT_TENANT_ID);
    const store = new PostgresReferenceModelStore(repo, vault, { keyId, sources: [] });
    const weights: MlpWeights = {
      architecture: { nFeatures: 2, hidden: [], numClasses: 2, activation: 'relu' },
      layers: [
        { inputs: 2, outputs: 2, weights: new Float32Array([0.5, -1, 2, 0.25]), bias: new Float32Array([3, 0]) },
      ],
    };
    const key = 'ab'.repeat(32);
    await store.put(key, weights);
    const row = await repo.find(key);
    expect(row?.keyId).toBe(keyId);
    expect(row?.weights.subarray(0, 4).toString('ascii')).toBe('PAS1');
    expect(Array.from((await store.get(key))?.layers[0]?.bias ?? [])).toEqual([3, 0]);
    await dataSource.query(`UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() WHERE id = $1`, [keyId]);
    expect(await store.get(key)).toBeUndefined();
  });
});
