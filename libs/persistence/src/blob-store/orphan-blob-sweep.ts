// `npm run blobs:sweep` (docs/security.md, "Deletion"): removes the blob files no row uses any more. A deletion removes
// its files after its transaction commits, and an audit stores its artefacts before the transaction that records
// them; a crash in between (or an audit cancelled before its report was stored) leaves files nothing names: sealed
// datasets whose key is gone, but also plaintext artefacts (surrogates, reconstructions). Only files untouched for
// `minAgeMs` are considered (by the file system's clock), so a file adopted a moment before its row is inserted is
// left alone. The blob store must belong to this installation (schema) alone: its rows are the only ones asked.
import type { TenantDb } from '../tenancy/tenant-db';
import { unreferenced } from '../typeorm/typeorm-data-lifecycle.repository';
import type { BlobStore } from './blob-store';

export interface OrphanSweepOutcome {
  /** Blob files old enough to be considered. */
  readonly examined: number;
  /** Of those, the ones no row used: removed. */
  readonly removed: number;
}

export async function sweepOrphanBlobs(
  db: TenantDb,
  blobs: BlobStore,
  minAgeMs: number,
  batch = 500,
): Promise<OrphanSweepOutcome> {
  const cutoff = (await blobs.now()) - minAgeMs;
  let examined = 0;
  let removed = 0;
  let pending: string[] = [];
  const flush = async () => {
    // Installation-wide: a blob of any tenant's row is in use.
    for (const sha256 of await unreferenced(db.installation.manager, pending))
      if (await blobs.remove(sha256)) removed++;
    pending = [];
  };
  for await (const blob of blobs.list()) {
    if (blob.modifiedMs > cutoff) continue;
    examined++;
    pending.push(blob.sha256);
    if (pending.length >= batch) await flush();
  }
  await flush();
  return { examined, removed };
}
