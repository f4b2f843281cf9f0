// The installation's maintenance commands run as an operator runs them: `npm run data-keys:rewrap`,
// `data-keys:seal-legacy` and `blobs:sweep` are `node dist/libs/persistence/src/<command>.js` (package.json), spawned
// here as child processes with only their documented environment, against a freshly migrated schema and a blob store
// of this suite's own (docs/security.md, "Data at rest", "Deletion"). The stored state is made with the service's own
// DataVault, blob store and repositories; what the commands left is read back the same way.
// Needs the compiled build: `npx tsc -p tsconfig.build.json` first.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { FilesystemBlobStore } from '../../libs/persistence/src/blob-store/filesystem-blob-store';
import { DataVault } from '../../libs/persistence/src/encryption/data-vault';
import { MasterKeyring, masterKeyId } from '../../libs/persistence/src/encryption/master-keyring';
import { ApiKeyRole } from '../../libs/persistence/src/records';
import { DEFAULT_TENANT_ID, runInTenant, TenantDb } from '../../libs/persistence/src/tenancy';
import { TypeOrmDataKeyRepository } from '../../libs/persistence/src/typeorm/typeorm-data-key.repository';
import { TypeOrmDatasetRepository } from '../../libs/persistence/src/typeorm/typeorm-dataset.repository';
import { TypeOrmTenantRepository } from '../../libs/persistence/src/typeorm/typeorm-tenant.repository';
import { DATABASE_URL, openTestSchema } from './support/test-infrastructure';
import { freePort } from '../fixtures/free-port';

const ROOT = resolve(__dirname, '../..');
const COMMANDS = {
  'data-keys:rewrap': 'dist/libs/persistence/src/rewrap-data-keys.js',
  'data-keys:seal-legacy': 'dist/libs/persistence/src/seal-legacy-datasets.js',
  'blobs:sweep': 'dist/libs/persistence/src/sweep-orphan-blobs.js',
} as const;
type Command = keyof typeof COMMANDS;

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a compiled command as `npm run <command> -- <args>` does (node on its dist file), with only `env` set. */
function run(command: Command, env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, COMMANDS[command]), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const newKey = () => randomBytes(32).toString('base64');
const mkId = (b64: string) => masterKeyId(Buffer.from(b64, 'base64'));

/** A port nothing listens on (bound then released). */

describe('maintenance commands, run as programs', () => {
  let dataSource: DataSource;
  let schema: string;
  let drop: () => Promise<void>;
  let db: TenantDb;
  let dir: string;
  let datasets: TypeOrmDatasetRepository;
  const A = DEFAULT_TENANT_ID;
  let B: string;

  beforeAll(async () => {
    for (const file of Object.values(COMMANDS))
      if (!existsSync(join(ROOT, file)))
        throw new Error(`${file} is missing: run npx tsc -p tsconfig.build.json first`);
    ({ dataSource, schema, drop, tenantDb: db } = await openTestSchema('maintcmd'));
    dir = mkdtempSync(join(tmpdir(), 'privaudit-maintcmd-'));
    datasets = new TypeOrmDatasetRepository(db);
    B = (
      await new TypeOrmTenantRepository(db).createWithAdminKey(
        { name: 'tenant b', referenceSecondsPerMonth: null, queriesPerMonth: null, retentionDays: null },
        { name: 'b admin', role: ApiKeyRole.Admin, prefix: 'pa_maintb01', hash: 'h'.repeat(64) },
      )
    ).tenant.id;
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The command's environment for this suite's schema and a blob store under `storage`. */
  const envOf = (storage: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    STORAGE_DIR: join(dir, storage),
    ...extra,
  });
  const vaultOf = (storage: string, current: string, previous: string[] = []) =>
    new DataVault(
      new MasterKeyring(current, previous),
      new TypeOrmDataKeyRepository(db),
      new FilesystemBlobStore(join(dir, storage)),
    );

  /** A dataset row in `tenant` sealed as an upload is (its own data key under `vault`'s current master key). */
  async function sealedDataset(vault: DataVault, tenant: string, csv: string): Promise<string> {
    const plain = join(dir, `${randomUUID()}.csv`);
    writeFileSync(plain, csv);
    const { keyId, blobSha256 } = await runInTenant(tenant, () => vault.sealNewFile(plain));
    rmSync(plain);
    const [d] = await dataSource.query(
      `INSERT INTO datasets (tenant_id, name, role, label_column, sha256, size_bytes, rows, columns, key_id, blob_sha256)
       VALUES ($1, 'd', 'members', 'label', $2, $3, 2, '[]', $4, $5) RETURNING id`,
      [tenant, sha(csv), csv.length, keyId, blobSha256],
    );
    return d.id as string;
  }

  /** A dataset uploaded before encryption at rest: key_id NULL, its blob the plaintext named by its sha256. */
  async function legacyDataset(blobs: FilesystemBlobStore, tenant: string, csv: string): Promise<string> {
    const tmp = join(blobs.tempDir(), randomUUID());
    writeFileSync(tmp, csv);
    await blobs.adopt(tmp, sha(csv));
    const [d] = await dataSource.query(
      `INSERT INTO datasets (tenant_id, name, role, label_column, sha256, size_bytes, rows, columns)
       VALUES ($1, 'legacy', 'members', 'label', $2, $3, 2, '[]') RETURNING id`,
      [tenant, sha(csv), csv.length],
    );
    return d.id as string;
  }

  /** The dataset's plaintext as every reader gets it: its row, its data key, its stored file, opened and verified. */
  async function readBack(vault: DataVault, tenant: string, id: string): Promise<string> {
    const record = await runInTenant(tenant, () => datasets.findById(id));
    if (!record) throw new Error(`dataset ${id} not found`);
    const out = join(dir, `opened-${randomUUID()}.csv`);
    await runInTenant(tenant, () => vault.openFile(record, out, `dataset ${id}`));
    const text = readFileSync(out, 'utf8');
    rmSync(out);
    return text;
  }

  const keysOf = async (ids: string[]) =>
    (await dataSource.query(
      `SELECT d.id, k.id AS key_id, k.master_key_id, encode(k.wrapped_key, 'hex') AS wrapped, k.tenant_id
         FROM datasets d JOIN data_keys k ON k.id = d.key_id WHERE d.id = ANY($1::uuid[]) ORDER BY d.id`,
      [ids],
    )) as Array<{ id: string; key_id: string; master_key_id: string; wrapped: string; tenant_id: string }>;

  describe('data-keys:rewrap', () => {
    const oldKey = newKey();
    const currentKey = newKey();
    const csvA = `row_id,age,label\n${randomUUID()},34,1\nr2,51,0\n`;
    const csvB = `row_id,age,label\n${randomUUID()},29,0\nr2,62,1\n`;
    let ids: string[];

    it("re-wraps every tenant's data keys sealed under the old master key; they open with the new key alone", async () => {
      const before = vaultOf('rewrap', oldKey);
      ids = [await sealedDataset(before, A, csvA), await sealedDataset(before, B, csvB)];
      const wrappedBefore = await keysOf(ids);
      expect(wrappedBefore.map((k) => k.master_key_id)).toEqual([mkId(oldKey), mkId(oldKey)]);

      const out = await run(
        'data-keys:rewrap',
        envOf('rewrap', { DATA_ENCRYPTION_KEY: currentKey, DATA_ENCRYPTION_PREVIOUS_KEYS: oldKey }),
      );
      expect(out).toEqual({
        code: 0,
        stdout: `re-wrapped 2 data key(s) under master key ${mkId(currentKey)}\n`,
        stderr: '',
      });

      const after = await keysOf(ids);
      for (const [i, k] of after.entries()) {
        expect(k.master_key_id).toBe(mkId(currentKey));
        expect(k.key_id).toBe(wrappedBefore[i]!.key_id); // the same data key, only wrapped anew
        expect(k.wrapped).not.toBe(wrappedBefore[i]!.wrapped);
      }
      // The old master key is gone from the configuration: the data still reads back, to the same bytes.
      const onlyNew = vaultOf('rewrap', currentKey);
      expect(await readBack(onlyNew, A, ids[0]!)).toBe(csvA);
      expect(await readBack(onlyNew, B, ids[1]!)).toBe(csvB);
      // And the old key alone no longer opens them.
      await expect(readBack(vaultOf('rewrap', oldKey), A, ids[0]!)).rejects.toThrow(
        /neither DATA_ENCRYPTION_KEY nor one of DATA_ENCRYPTION_PREVIOUS_KEYS/,
      );
    });

    it('a second run changes nothing', async () => {
      const before = await keysOf(ids);
      const out = await run(
        'data-keys:rewrap',
        envOf('rewrap', { DATA_ENCRYPTION_KEY: currentKey, DATA_ENCRYPTION_PREVIOUS_KEYS: oldKey }),
      );
      expect(out).toEqual({
        code: 0,
        stdout: `re-wrapped 0 data key(s) under master key ${mkId(currentKey)}\n`,
        stderr: '',
      });
      expect(await keysOf(ids)).toEqual(before);
    });

    it('a data key wrapped under a master key it was not given is counted, left as it is, and exits 2', async () => {
      const lostKey = newKey();
      const lost = await sealedDataset(vaultOf('rewrap', lostKey), A, csvA);
      const before = await keysOf([lost]);
      const out = await run(
        'data-keys:rewrap',
        envOf('rewrap', { DATA_ENCRYPTION_KEY: currentKey, DATA_ENCRYPTION_PREVIOUS_KEYS: oldKey }),
      );
      expect(out.code).toBe(2);
      expect(out.stdout).toBe(
        `re-wrapped 0 data key(s) under master key ${mkId(currentKey)}; 1 are wrapped under a master key that is not ` +
          'configured (add it to DATA_ENCRYPTION_PREVIOUS_KEYS)\n',
      );
      expect(await keysOf([lost])).toEqual(before);
      for (const secret of [oldKey, currentKey, lostKey]) expect(out.stdout + out.stderr).not.toContain(secret);
      // Out of the way of the next runs, as a deletion leaves it: the key destroyed.
      await dataSource.query(`UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() WHERE id = $1`, [
        before[0]!.key_id,
      ]);
    });
  });

  describe('data-keys:seal-legacy', () => {
    const key = newKey();
    const csv = `row_id,age,label\n${randomUUID()},40,1\nr2,22,0\n`;
    let blobs: FilesystemBlobStore;
    let id: string;

    it('seals a dataset stored unsealed in place, removes its plaintext file, and it reads back to the same bytes', async () => {
      blobs = new FilesystemBlobStore(join(dir, 'seal'));
      id = await legacyDataset(blobs, B, csv);
      expect(readFileSync(blobs.localPath(sha(csv)), 'utf8')).toBe(csv);

      const out = await run('data-keys:seal-legacy', envOf('seal', { DATA_ENCRYPTION_KEY: key }));
      expect(out).toEqual({
        code: 0,
        stdout: `sealed 1 dataset(s) under master key ${mkId(key)}; 0 deleted or sealed meanwhile; 1 plaintext file(s) removed\n`,
        stderr: '',
      });

      const record = await runInTenant(B, () => datasets.findById(id));
      expect(record).toMatchObject({ sha256: sha(csv), keyId: expect.any(String), blobSha256: expect.any(String) });
      expect(record!.blobSha256).not.toBe(sha(csv));
      // The plaintext file is gone; the stored file is sealed (no plaintext in it); its key is the dataset's tenant's.
      expect(await blobs.exists(sha(csv))).toBe(false);
      const stored = readFileSync(blobs.localPath(record!.blobSha256!));
      expect(stored.includes(Buffer.from('row_id'))).toBe(false);
      expect(await keysOf([id])).toEqual([
        expect.objectContaining({ key_id: record!.keyId, master_key_id: mkId(key), tenant_id: B }),
      ]);
      expect(await readBack(vaultOf('seal', key), B, id)).toBe(csv);
    });

    it('a second run is a no-op', async () => {
      const before = await runInTenant(B, () => datasets.findById(id));
      const keyCount = async () => Number((await dataSource.query(`SELECT count(*)::int AS n FROM data_keys`))[0].n);
      const keysBefore = await keyCount();
      const out = await run('data-keys:seal-legacy', envOf('seal', { DATA_ENCRYPTION_KEY: key }));
      expect(out).toEqual({
        code: 0,
        stdout: `sealed 0 dataset(s) under master key ${mkId(key)}; 0 deleted or sealed meanwhile; 0 plaintext file(s) removed\n`,
        stderr: '',
      });
      expect(await runInTenant(B, () => datasets.findById(id))).toEqual(before);
      expect(await keyCount()).toBe(keysBefore);
      expect(await readBack(vaultOf('seal', key), B, id)).toBe(csv);
    });
  });

  describe('blobs:sweep', () => {
    let blobs: FilesystemBlobStore;
    const put = async (text: string) => {
      const tmp = join(blobs.tempDir(), randomUUID());
      writeFileSync(tmp, text);
      await blobs.adopt(tmp, sha(text));
      return sha(text);
    };
    const age = (s: string, hours: number) => {
      const t = (Date.now() - hours * 3_600_000) / 1000;
      utimesSync(blobs.localPath(s), t, t);
    };
    let sealedBlob: string;
    let legacyBlob: string;
    let orphan: string;
    let recentOrphan: string;

    it('refuses --min-age-hours 0 with a clear error and a non-zero exit, removing nothing', async () => {
      blobs = new FilesystemBlobStore(join(dir, 'sweep'));
      const vault = vaultOf('sweep', newKey());
      const id = await sealedDataset(vault, A, `row_id,label\n${randomUUID()},1\n`);
      sealedBlob = (await runInTenant(A, () => datasets.findById(id)))!.blobSha256!;
      const legacyCsv = `row_id,label\n${randomUUID()},0\n`;
      await legacyDataset(blobs, B, legacyCsv); // used through datasets.sha256 (key_id NULL)
      legacyBlob = sha(legacyCsv);
      orphan = await put(`left by a crash ${randomUUID()}`);
      recentOrphan = await put(`adopted a moment ago ${randomUUID()}`);
      for (const s of [sealedBlob, legacyBlob, orphan]) age(s, 3);

      const out = await run('blobs:sweep', envOf('sweep'), ['--min-age-hours', '0']);
      expect(out.code).not.toBe(0);
      expect(out.stdout).toBe('');
      expect(out.stderr).toBe('privaudit blobs:sweep failed: --min-age-hours must be a number of hours, at least 1\n');
      for (const s of [sealedBlob, legacyBlob, orphan, recentOrphan]) expect(await blobs.exists(s)).toBe(true);
    });

    it('by default (24 h) leaves files younger than a day', async () => {
      const out = await run('blobs:sweep', envOf('sweep'));
      expect(out).toEqual({
        code: 0,
        stdout: 'examined 0 blob file(s) older than 24 h; removed 0 that no row uses\n',
        stderr: '',
      });
      for (const s of [sealedBlob, legacyBlob, orphan, recentOrphan]) expect(await blobs.exists(s)).toBe(true);
    });

    it('removes a file no row uses once older than --min-age-hours; keeps the ones rows use and recent ones', async () => {
      const out = await run('blobs:sweep', envOf('sweep'), ['--min-age-hours', '2']);
      expect(out).toEqual({
        code: 0,
        stdout: 'examined 3 blob file(s) older than 2 h; removed 1 that no row uses\n',
        stderr: '',
      });
      expect(await blobs.exists(orphan)).toBe(false);
      for (const s of [sealedBlob, legacyBlob, recentOrphan]) expect(await blobs.exists(s)).toBe(true);
      // Again: nothing more to remove.
      const again = await run('blobs:sweep', envOf('sweep'), ['--min-age-hours', '2']);
      expect(again.stdout).toBe('examined 2 blob file(s) older than 2 h; removed 0 that no row uses\n');
      expect(again.code).toBe(0);
    });
  });

  describe('errors name the variable, never its value', () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const keyEnv = { DATA_ENCRYPTION_KEY: newKey() };
    const expectRefused = (out: Outcome, command: Command, variable: string, secret: string) => {
      expect(out.code).not.toBe(0);
      expect(out.code).not.toBeNull(); // exited, not killed
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(new RegExp(`^privaudit ${command} failed: .*${variable}`));
      expect(out.stdout + out.stderr).not.toContain(secret);
    };

    it.each(Object.keys(COMMANDS) as Command[])('%s: a malformed DATABASE_URL', async (command) => {
      const url = `postgres://privaudit:${password}@db.internal:notaport/privaudit`;
      const out = await run(command, { ...envOf('errors', keyEnv), DATABASE_URL: url });
      expectRefused(out, command, 'DATABASE_URL', password);
    });

    it.each(Object.keys(COMMANDS) as Command[])('%s: a DATABASE_URL nothing answers at', async (command) => {
      const url = `postgres://privaudit:${password}@127.0.0.1:${await freePort()}/privaudit`;
      const out = await run(command, { ...envOf('errors', keyEnv), DATABASE_URL: url });
      expectRefused(out, command, 'DATABASE_URL', password);
    });

    it.each(Object.keys(COMMANDS) as Command[])(
      '%s: a DATABASE_SCHEMA the migrations have not made (a typo): refused, nothing touched',
      async (command) => {
        const out = await run(command, { ...envOf('sweep', keyEnv), DATABASE_SCHEMA: `${schema}_typo` });
        expectRefused(out, command, 'DATABASE_SCHEMA', keyEnv.DATA_ENCRYPTION_KEY);
        expect(out.stderr).toMatch(/migration\(s\) of this build are not applied/);
        // The sweep's store still holds the files its rows use (examined as unused, they would have gone).
        const store = new FilesystemBlobStore(join(dir, 'sweep'));
        const left: string[] = [];
        for await (const b of store.list()) left.push(b.sha256);
        expect(left).toHaveLength(3);
        const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [
          `${schema}_typo`,
        ]);
        expect(n).toBe(0); // nothing was created either
      },
    );

    it.each(['data-keys:rewrap', 'data-keys:seal-legacy'] as Command[])(
      '%s: a malformed DATA_ENCRYPTION_KEY (24 bytes), or a missing one',
      async (command) => {
        const short = randomBytes(24).toString('base64');
        const out = await run(command, envOf('errors', { DATA_ENCRYPTION_KEY: short }));
        expectRefused(out, command, 'DATA_ENCRYPTION_KEY', short);
        const missing = await run(command, envOf('errors'));
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toMatch(/DATA_ENCRYPTION_KEY .*is required/);
        expect(out.stderr).toMatch(/DATA_ENCRYPTION_KEY is invalid \(must be 32 bytes, base64-encoded/);
      },
    );

    it('data-keys:rewrap: a malformed DATA_ENCRYPTION_PREVIOUS_KEYS', async () => {
      const short = randomBytes(16).toString('base64');
      const current = newKey();
      const out = await run(
        'data-keys:rewrap',
        envOf('errors', { DATA_ENCRYPTION_KEY: current, DATA_ENCRYPTION_PREVIOUS_KEYS: `${newKey()},${short}` }),
      );
      expectRefused(out, 'data-keys:rewrap', 'DATA_ENCRYPTION_PREVIOUS_KEYS', short);
      expect(out.stderr).not.toContain(current);
    });
  });
});
