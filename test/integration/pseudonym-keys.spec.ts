// A tenant's pseudonym key against a real Postgres: stored as a data key wrapped by the master key (never plain),
// one per tenant under row-level security (another tenant sees, changes and removes nothing of it), replaced with
// its old data key destroyed in the same transaction, and still readable after a master-key rotation.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { pseudonymKeyId } from '../../libs/engine/src/data/row-id-pseudonyms';
import { FilesystemBlobStore } from '../../libs/persistence/src/blob-store/filesystem-blob-store';
import { DataVault } from '../../libs/persistence/src/encryption/data-vault';
import { MasterKeyring } from '../../libs/persistence/src/encryption/master-keyring';
import { TypeOrmDataKeyRepository } from '../../libs/persistence/src/typeorm/typeorm-data-key.repository';
import { TypeOrmPseudonymKeyRepository } from '../../libs/persistence/src/typeorm/typeorm-pseudonym-key.repository';
import { DEFAULT_TENANT_ID, runInTenant, TenantDb } from '../../libs/persistence/src/tenancy';
import { openTestSchema } from './support/test-infrastructure';

describe('tenant pseudonym keys (real Postgres)', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let dir: string;
  let db: TenantDb;
  let tenantB: string;
  const oldMaster = randomBytes(32).toString('base64');
  const newMaster = randomBytes(32).toString('base64');

  beforeAll(async () => {
    ({ dataSource, drop } = await openTestSchema('pseudonymkeys'));
    db = new TenantDb(dataSource);
    keys = new TypeOrmPseudonymKeyRepository(db);
    dir = mkdtempSync(join(tmpdir(), 'privaudit-pseudonymkeys-'));
    tenantB = (
      (await dataSource.query(`INSERT INTO tenants (name) VALUES ('b') RETURNING id`)) as Array<{ id: string }>
    )[0]!.id;
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const vaultWith = (current: string, previous: string[] = []) =>
    new DataVault(
      new MasterKeyring(current, previous),
      new TypeOrmDataKeyRepository(db),
      new FilesystemBlobStore(join(dir, 'storage')),
    );
  let keys: TypeOrmPseudonymKeyRepository;

  /** What the api's PseudonymKeyService.set does, in one tenant transaction. */
  const setKey = (vault: DataVault, key: Buffer, byDefault = false) =>
    db.run(async () => {
      const dataKeyId = await vault.storeKey(key);
      return keys.replace({
        id: randomUUID(),
        dataKeyId,
        keyId: pseudonymKeyId(key),
        pseudonymizeByDefault: byDefault,
        createdBy: null,
      });
    });

  it('stores the key only wrapped, one per tenant, invisible to another tenant', async () => {
    const keyA = randomBytes(32);
    const vault = vaultWith(oldMaster);
    expect(await runInTenant(DEFAULT_TENANT_ID, () => setKey(vault, keyA, true))).toBeNull();
    const stored = await runInTenant(DEFAULT_TENANT_ID, () => keys.current());
    expect(stored).toMatchObject({ keyId: pseudonymKeyId(keyA), pseudonymizeByDefault: true });
    const raw: Array<{ wrapped_key: Buffer }> = await dataSource.query(`SELECT wrapped_key FROM data_keys`);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.wrapped_key.includes(keyA)).toBe(false);
    expect((await runInTenant(DEFAULT_TENANT_ID, () => vault.dataKey(stored!.dataKeyId, 'k'))).equals(keyA)).toBe(true);

    // Tenant B: sees no key, cannot change A's default, removes nothing of A's, and its own key is its own.
    expect(await runInTenant(tenantB, () => keys.current())).toBeNull();
    expect(await runInTenant(tenantB, () => keys.setDefault(false))).toBeNull();
    expect(await runInTenant(tenantB, () => keys.remove())).toBeNull();
    const keyB = randomBytes(32);
    await runInTenant(tenantB, () => setKey(vault, keyB));
    expect((await runInTenant(tenantB, () => keys.current()))?.keyId).toBe(pseudonymKeyId(keyB));
    expect(await runInTenant(DEFAULT_TENANT_ID, () => keys.current())).toMatchObject({
      keyId: pseudonymKeyId(keyA),
      pseudonymizeByDefault: true,
    });
    // A's data key cannot be read from B's tenant (row-level security on data_keys).
    await expect(runInTenant(tenantB, () => vault.dataKey(stored!.dataKeyId, 'k'))).rejects.toThrow(/does not exist/);
    // At most one key per tenant, down to the database.
    await expect(
      runInTenant(DEFAULT_TENANT_ID, () =>
        db.query(`INSERT INTO tenant_pseudonym_keys (id, data_key_id, key_id) VALUES ($1, $2, 'psk_x')`, [
          randomUUID(),
          stored!.dataKeyId,
        ]),
      ),
    ).rejects.toThrow(/tenant_pseudonym_keys_one_per_tenant/);
  });

  it('replacing the key destroys the old data key; a master-key rotation keeps the current key readable', async () => {
    const vault = vaultWith(oldMaster);
    const before = (await runInTenant(DEFAULT_TENANT_ID, () => keys.current()))!;
    const next = randomBytes(32);
    const previous = await runInTenant(DEFAULT_TENANT_ID, () => setKey(vault, next));
    expect(previous?.keyId).toBe(before.keyId);
    const old: Array<{ wrapped_key: Buffer | null; destroyed_at: Date | null }> = await dataSource.query(
      `SELECT wrapped_key, destroyed_at FROM data_keys WHERE id = $1`,
      [before.dataKeyId],
    );
    expect(old[0]).toMatchObject({ wrapped_key: null, destroyed_at: expect.any(Date) });
    await expect(runInTenant(DEFAULT_TENANT_ID, () => vault.dataKey(before.dataKeyId, 'old key'))).rejects.toThrow(
      /was destroyed/,
    );

    const current = (await runInTenant(DEFAULT_TENANT_ID, () => keys.current()))!;
    const rotating = vaultWith(newMaster, [oldMaster]);
    expect((await rotating.rewrapAll()).rewrapped).toBeGreaterThanOrEqual(1);
    const afterRotation = vaultWith(newMaster);
    expect(
      (await runInTenant(DEFAULT_TENANT_ID, () => afterRotation.dataKey(current.dataKeyId, 'k'))).equals(next),
    ).toBe(true);
    // Removal destroys it too.
    expect((await runInTenant(DEFAULT_TENANT_ID, () => keys.remove()))?.keyId).toBe(pseudonymKeyId(next));
    expect(await runInTenant(DEFAULT_TENANT_ID, () => keys.current())).toBeNull();
    const gone: Array<{ destroyed_at: Date | null }> = await dataSource.query(
      `SELECT destroyed_at FROM data_keys WHERE id = $1`,
      [current.dataKeyId],
    );
    expect(gone[0]!.destroyed_at).not.toBeNull();
  });
});
