// `npm run data-keys:seal-legacy` (docs/security.md, "Data at rest"): datasets uploaded before encryption at rest
// (datasets.key_id NULL) are stored as plaintext blobs. This seals each in place, as an upload is sealed today:
// 1. its plaintext blob is checked against the dataset's sha256 (a changed file is reported, never sealed);
// 2. a new data key seals it into a staging file, which the blob store adopts under the sealed file's sha256;
// 3. one transaction, in the dataset's tenant, stores the wrapped key and points the row at the sealed blob with a
//    compare-and-set (key_id still NULL, same sha256): a dataset deleted or sealed meanwhile is left as it is, the
//    transaction rolls back (no key stored) and the sealed copy is removed again;
// 4. afterwards, the plaintext blobs no row uses any more are removed, except while an active (queued or running)
//    audit uses a dataset of that content: it may have read the row before it was sealed and still open the
//    plaintext path. Those are left for the next run.
// Safe to re-run (step 4 also finds plaintext left by an earlier run) and safe while the service runs.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../blob-store/blob-store';
import { runInTenant } from '../tenancy/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { unreferenced } from '../typeorm/typeorm-data-lifecycle.repository';
import type { MasterKeyring } from './master-keyring';
import { sealFile } from './sealed-stream';

export interface LegacySealingOutcome {
  /** Datasets sealed under a new data key by this run. */
  readonly sealed: number;
  /** Deleted or sealed by someone else between listing and sealing: left as they are. */
  readonly raced: number;
  /** Plaintext blob absent from the blob store (left unsealed; the dataset cannot be read either). */
  readonly missing: number;
  /** Plaintext blob whose sha256 is not the dataset's (modified on disk): left unsealed. */
  readonly mismatched: number;
  /** Plaintext blobs removed (no row uses them any more). */
  readonly plaintextRemoved: number;
  /** Plaintext blobs kept for now: an active audit uses a dataset of that content (run again later). */
  readonly plaintextKept: number;
}

export class LegacyDatasetSealer {
  constructor(
    private readonly db: TenantDb,
    private readonly keyring: MasterKeyring,
    private readonly blobs: BlobStore,
  ) {}

  async run(): Promise<LegacySealingOutcome> {
    this.keyring.requireCurrent();
    let sealed = 0;
    let raced = 0;
    let missing = 0;
    let mismatched = 0;
    // Installation-wide: every tenant's unsealed datasets (each is then sealed in its own tenant).
    const legacy: Array<{ id: string; tenant_id: string; sha256: string }> = await this.db.installation.query(
      `SELECT id, tenant_id, sha256 FROM datasets WHERE key_id IS NULL ORDER BY created_at, id`,
    );
    for (const d of legacy) {
      const sha256 = d.sha256.trim();
      if (!(await this.blobs.exists(sha256))) {
        missing++;
        continue;
      }
      if ((await sha256Of(this.blobs.localPath(sha256))) !== sha256) {
        mismatched++;
        continue;
      }
      const outcome = await runInTenant(d.tenant_id, () => this.sealOne(d.id, sha256));
      if (outcome === 'sealed') sealed++;
      else raced++;
    }
    const { removed, kept } = await this.removeUnusedPlaintext();
    return { sealed, raced, missing, mismatched, plaintextRemoved: removed, plaintextKept: kept };
  }

  private async sealOne(datasetId: string, sha256: string): Promise<'sealed' | 'raced'> {
    const keyId = randomUUID();
    const key = randomBytes(32);
    const { wrapped, masterKeyId } = this.keyring.wrap(key, keyId);
    const staging = join(this.blobs.tempDir(), `sealed-${randomUUID()}`);
    let blobSha256: string;
    try {
      await sealFile(this.blobs.localPath(sha256), staging, key);
      blobSha256 = await sha256Of(staging);
      await this.blobs.adopt(staging, blobSha256);
    } finally {
      await rm(staging, { force: true });
    }
    const updated = await this.db
      .run(async (m) => {
        await m.query(`INSERT INTO data_keys (id, wrapped_key, master_key_id) VALUES ($1, $2, $3)`, [
          keyId,
          wrapped,
          masterKeyId,
        ]);
        const [rows] = (await m.query(
          `UPDATE datasets SET key_id = $2, blob_sha256 = $3 WHERE id = $1 AND key_id IS NULL AND sha256 = $4 RETURNING id`,
          [datasetId, keyId, blobSha256, sha256],
        )) as [unknown[], number];
        // Nothing to seal any more: roll back (the key is not kept) by throwing out of the transaction.
        if (rows.length !== 1) throw new RacedError();
        return true;
      })
      .catch((e: unknown) => {
        if (e instanceof RacedError) return false;
        throw e;
      });
    if (updated) return 'sealed';
    // The sealed copy is used by no row: remove it (its bytes are random under a key that was never stored).
    for (const blob of await unreferenced(this.db.installation.manager, [blobSha256])) await this.blobs.remove(blob);
    return 'raced';
  }

  /** Plaintext blobs of sealed datasets that no row uses and no active audit may still read. */
  private async removeUnusedPlaintext(): Promise<{ removed: number; kept: number }> {
    const rows: Array<{ sha256: string; active: boolean }> = await this.db.installation.query(
      `SELECT trim(d.sha256) AS sha256,
              bool_or(EXISTS (SELECT 1 FROM audits a
                               WHERE a.status IN ('queued', 'running')
                                 AND d.id IN (a.members_dataset_id, a.non_members_dataset_id, a.population_dataset_id))) AS active
         FROM datasets d WHERE d.key_id IS NOT NULL GROUP BY trim(d.sha256)`,
    );
    let removed = 0;
    let kept = 0;
    const present: string[] = [];
    for (const r of rows) if (await this.blobs.exists(r.sha256)) present.push(r.sha256);
    const free = new Set(await unreferenced(this.db.installation.manager, present));
    for (const r of rows) {
      if (!free.has(r.sha256)) continue;
      if (r.active) {
        kept++;
        continue;
      }
      if (await this.blobs.remove(r.sha256)) removed++;
    }
    return { removed, kept };
  }
}

class RacedError extends Error {}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
