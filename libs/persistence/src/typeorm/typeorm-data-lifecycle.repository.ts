import type { EntityManager } from 'typeorm';
import type { TenantDb } from '../tenancy/tenant-db';
import {
  DataLifecycleRepository,
  type DeletionOutcome,
  type DeletionReceipt,
  type DeletionReceiptItem,
} from '../repositories/data-lifecycle.repository';

const ACTIVE = `('queued', 'running')`;

/**
 * The latest succeeded audit of each model that has an audit plan: what its next audit's release gate and diff
 * compare with (findPreviousSucceeded's order), so retention keeps it.
 */
const BASELINES = `baselines AS (
  SELECT DISTINCT ON (v.model_id) a.id
    FROM audits a
    JOIN model_versions v ON v.id = a.model_version_id
    JOIN audit_plans p ON p.model_id = v.model_id
   WHERE a.status = 'succeeded'
   ORDER BY v.model_id, a.created_at DESC, a.id DESC)`;

interface AuditRow {
  id: string;
  status: string;
  report_sha256: string | null;
  findings: string;
}

export class TypeOrmDataLifecycleRepository extends DataLifecycleRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  deleteDataset(id: string): Promise<DeletionOutcome> {
    return this.inTenant(async (m) => {
      // Locks the row: an audit commissioned meanwhile waits for this transaction (its foreign key), then fails.
      const rows: Array<{
        id: string;
        name: string;
        sha256: string;
        blob_sha256: string | null;
        size_bytes: string;
        key_id: string | null;
        master_key_id: string | null;
      }> = await m.query(
        `SELECT d.id, d.name, d.sha256, d.blob_sha256, d.size_bytes, d.key_id, k.master_key_id
           FROM datasets d LEFT JOIN data_keys k ON k.id = d.key_id WHERE d.id = $1 FOR UPDATE OF d`,
        [id],
      );
      const d = rows[0];
      if (!d) return { notFound: true };
      const usedBy = `(members_dataset_id = $1 OR non_members_dataset_id = $1 OR population_dataset_id = $1)`;
      const active: Array<{ id: string }> = await m.query(
        `SELECT id FROM audits WHERE ${usedBy} AND status IN ${ACTIVE} ORDER BY created_at`,
        [id],
      );
      const plans: Array<{ model_id: string }> = await m.query(
        `SELECT model_id FROM audit_plans
          WHERE options->>'membersDatasetId' = $1 OR options->>'nonMembersDatasetId' = $1 OR options->>'populationDatasetId' = $1`,
        [id],
      );
      if (active.length > 0 || plans.length > 0)
        return { conflict: { activeAudits: active.map((a) => a.id), auditPlans: plans.map((p) => p.model_id) } };

      const items: DeletionReceiptItem[] = [];
      // Audits of this data (their findings name its row ids) go with it.
      const audits: AuditRow[] = await m.query(
        `SELECT a.id, a.status, a.report_sha256, (SELECT count(*) FROM findings f WHERE f.audit_id = a.id) AS findings
           FROM audits a
          WHERE a.members_dataset_id = $1 OR a.non_members_dataset_id = $1 OR a.population_dataset_id = $1
          ORDER BY a.created_at`,
        [id],
      );
      const derived = await deleteAudits(m, audits);
      items.push(...derived.items);
      items.push(...(await deleteReferenceModels(m, id, d.key_id)));
      await m.query(`DELETE FROM datasets WHERE id = $1`, [id]);
      items.unshift({
        type: 'dataset',
        id,
        name: d.name,
        sha256: d.sha256.trim(),
        blobSha256: (d.blob_sha256 ?? d.sha256).trim(),
        sizeBytes: Number(d.size_bytes),
      });
      if (d.key_id !== null) {
        await m.query(`UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() WHERE id = $1`, [d.key_id]);
        items.splice(1, 0, { type: 'data-key', id: d.key_id, masterKeyId: d.master_key_id ?? undefined });
      }
      return { deleted: { items, unreferencedBlobs: [(d.blob_sha256 ?? d.sha256).trim(), ...derived.blobs] } };
    });
  }

  deleteModel(id: string): Promise<DeletionOutcome> {
    return this.inTenant(async (m) => {
      const rows: Array<{ id: string; name: string }> = await m.query(
        `SELECT id, name FROM models WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const model = rows[0];
      if (!model) return { notFound: true };
      const versions: VersionRow[] = await m.query(
        `SELECT id, version, kind, sha256, size_bytes, preprocessing FROM model_versions WHERE model_id = $1 ORDER BY version FOR UPDATE`,
        [id],
      );
      const versionIds = versions.map((v) => v.id);
      const active: Array<{ id: string }> = await m.query(
        `SELECT id FROM audits WHERE model_version_id = ANY($1::uuid[]) AND status IN ${ACTIVE} ORDER BY created_at`,
        [versionIds],
      );
      if (active.length > 0) return { conflict: { activeAudits: active.map((a) => a.id), auditPlans: [] } };
      const audits: AuditRow[] = await m.query(
        `SELECT a.id, a.status, a.report_sha256, (SELECT count(*) FROM findings f WHERE f.audit_id = a.id) AS findings
           FROM audits a WHERE a.model_version_id = ANY($1::uuid[]) ORDER BY a.created_at`,
        [versionIds],
      );
      const items: DeletionReceiptItem[] = [{ type: 'model', id, name: model.name }];
      const plan: unknown[] = await m.query(`SELECT model_id FROM audit_plans WHERE model_id = $1`, [id]);
      if (plan.length > 0) items.push({ type: 'audit-plan', id });
      items.push(...(await subscriptionItems(m, id)));
      items.push(...versions.map(versionItem));
      const derived = await deleteAudits(m, audits);
      items.push(...derived.items);
      // Versions, the plan and the notification subscriptions (with their delivery logs) cascade with the model.
      await m.query(`DELETE FROM models WHERE id = $1`, [id]);
      return { deleted: { items, unreferencedBlobs: [...blobsOf(versions), ...derived.blobs] } };
    });
  }

  deleteModelVersion(id: string): Promise<DeletionOutcome> {
    return this.inTenant(async (m) => {
      const versions: VersionRow[] = await m.query(
        `SELECT id, version, kind, sha256, size_bytes, preprocessing FROM model_versions WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (versions.length === 0) return { notFound: true };
      const active: Array<{ id: string }> = await m.query(
        `SELECT id FROM audits WHERE model_version_id = $1 AND status IN ${ACTIVE} ORDER BY created_at`,
        [id],
      );
      if (active.length > 0) return { conflict: { activeAudits: active.map((a) => a.id), auditPlans: [] } };
      const audits: AuditRow[] = await m.query(
        `SELECT a.id, a.status, a.report_sha256, (SELECT count(*) FROM findings f WHERE f.audit_id = a.id) AS findings
           FROM audits a WHERE a.model_version_id = $1 ORDER BY a.created_at`,
        [id],
      );
      const derived = await deleteAudits(m, audits);
      const items: DeletionReceiptItem[] = [...versions.map(versionItem), ...derived.items];
      await m.query(`DELETE FROM model_versions WHERE id = $1`, [id]);
      return { deleted: { items, unreferencedBlobs: [...blobsOf(versions), ...derived.blobs] } };
    });
  }

  deleteAudit(id: string): Promise<DeletionOutcome> {
    return this.inTenant(async (m) => {
      const audits: AuditRow[] = await m.query(
        `SELECT a.id, a.status, a.report_sha256, (SELECT count(*) FROM findings f WHERE f.audit_id = a.id) AS findings
           FROM audits a WHERE a.id = $1 FOR UPDATE`,
        [id],
      );
      const audit = audits[0];
      if (!audit) return { notFound: true };
      if (audit.status === 'queued' || audit.status === 'running')
        return { conflict: { activeAudits: [id], auditPlans: [] } };
      const derived = await deleteAudits(m, audits);
      return { deleted: { items: derived.items, unreferencedBlobs: derived.blobs } };
    });
  }

  /**
   * The tenant's transaction; then, the blobs it freed that no row of any tenant still uses (the blob store is
   * content-addressed and shared by the installation, which only the installation connection sees whole).
   */
  private async inTenant(fn: (m: EntityManager) => Promise<DeletionOutcome>): Promise<DeletionOutcome> {
    const outcome = await this.db.run(fn);
    if (!('deleted' in outcome)) return outcome;
    const blobs = await unreferenced(this.db.installation.manager, outcome.deleted.unreferencedBlobs);
    return { deleted: { items: outcome.deleted.items, unreferencedBlobs: blobs } };
  }

  async expiredAudits(retentionDays: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH ${BASELINES}
       SELECT a.id FROM audits a
        WHERE a.status IN ('succeeded', 'failed', 'cancelled')
          AND coalesce(a.finished_at, a.created_at) < now() - make_interval(days => $1)
          AND a.id NOT IN (SELECT id FROM baselines)
        ORDER BY coalesce(a.finished_at, a.created_at), a.id
        LIMIT $2`,
      [retentionDays, limit],
    );
    return rows.map((r) => r.id);
  }

  async expiredDatasets(retentionDays: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH ${BASELINES}
       SELECT d.id FROM datasets d
        WHERE d.created_at < now() - make_interval(days => $1)
          AND NOT EXISTS (
                SELECT 1 FROM audits a
                 WHERE (a.members_dataset_id = d.id OR a.non_members_dataset_id = d.id OR a.population_dataset_id = d.id)
                   AND (a.status IN ${ACTIVE}
                        OR coalesce(a.finished_at, a.created_at) >= now() - make_interval(days => $1)
                        OR a.id IN (SELECT id FROM baselines)))
          AND NOT EXISTS (
                SELECT 1 FROM audit_plans p
                 WHERE p.options->>'membersDatasetId' = d.id::text OR p.options->>'nonMembersDatasetId' = d.id::text
                    OR p.options->>'populationDatasetId' = d.id::text)
        ORDER BY d.created_at, d.id
        LIMIT $2`,
      [retentionDays, limit],
    );
    return rows.map((r) => r.id);
  }

  async withRetentionLock<T>(tenantId: string, fn: () => Promise<T>): Promise<T | null> {
    // A session lock on a connection of its own: held across the many transactions of a tenant's purge, and
    // released by Postgres if this process dies. Other processes skip the tenant meanwhile.
    const runner = this.db.installation.createQueryRunner();
    await runner.connect();
    try {
      const [got] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtext('privaudit:retention'), hashtext($1)) AS locked`,
        [tenantId],
      )) as Array<{ locked: boolean }>;
      if (!got?.locked) return null;
      try {
        return await fn();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('privaudit:retention'), hashtext($1))`, [tenantId]);
      }
    } finally {
      await runner.release();
    }
  }

  async appendReceipt(r: DeletionReceipt): Promise<void> {
    await this.db.query(
      `INSERT INTO deletion_receipts (id, subject_type, subject_id, deleted_at, deleted_by, receipt, receipt_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.id, r.subjectType, r.subjectId, r.deletedAt, r.deletedBy, JSON.stringify(r), r.sha256],
    );
  }

  async findReceipt(id: string): Promise<DeletionReceipt | null> {
    const rows: Array<{ receipt: DeletionReceipt }> = await this.db.query(
      `SELECT receipt FROM deletion_receipts WHERE id = $1`,
      [id],
    );
    return rows[0]?.receipt ?? null;
  }
}

interface VersionRow {
  id: string;
  version: number;
  kind: string;
  sha256: string;
  size_bytes: string;
  preprocessing: { sha256: string } | null;
}

function versionItem(v: VersionRow): DeletionReceiptItem {
  return {
    type: 'model-version',
    id: v.id,
    name: `version ${v.version} (${v.kind})`,
    sha256: v.sha256.trim(),
    ...(v.kind === 'onnx' ? { blobSha256: v.sha256.trim(), sizeBytes: Number(v.size_bytes) } : {}),
  };
}

/** The blobs of model versions: their files and preprocessing specs. */
function blobsOf(versions: readonly VersionRow[]): string[] {
  return [
    ...new Set(
      versions.flatMap((v) => [
        ...(v.kind === 'onnx' ? [v.sha256.trim()] : []),
        ...(v.preprocessing ? [v.preprocessing.sha256] : []),
      ]),
    ),
  ];
}

/**
 * Removes audits with their findings, reports, artefacts and notification deliveries (they cascade); one receipt
 * item per audit, its report's hash and finding count, each artefact file and the count of deliveries. Resolves with
 * the artefacts' blobs too: the caller removes those no other row still uses.
 */
async function deleteAudits(
  m: EntityManager,
  audits: readonly AuditRow[],
): Promise<{ items: DeletionReceiptItem[]; blobs: string[] }> {
  if (audits.length === 0) return { items: [], blobs: [] };
  const ids = audits.map((a) => a.id);
  const artifacts: Array<{ audit_id: string; name: string; kind: string; sha256: string; bytes: string }> =
    await m.query(
      `SELECT audit_id, name, kind, sha256, bytes FROM audit_artifacts WHERE audit_id = ANY($1::uuid[]) ORDER BY audit_id, name`,
      [ids],
    );
  const deliveries: Array<{ audit_id: string; n: number }> = await m.query(
    `SELECT audit_id, count(*)::int AS n FROM notification_deliveries WHERE audit_id = ANY($1::uuid[]) GROUP BY audit_id`,
    [ids],
  );
  const deliveriesOf = new Map(deliveries.map((d) => [d.audit_id, d.n]));
  await m.query(`DELETE FROM audits WHERE id = ANY($1::uuid[])`, [ids]);
  const items = audits.flatMap((a): DeletionReceiptItem[] => [
    { type: 'audit', id: a.id, name: a.status },
    ...(Number(a.findings) > 0 ? [{ type: 'findings' as const, id: a.id, count: Number(a.findings) }] : []),
    ...(a.report_sha256 ? [{ type: 'report' as const, id: a.id, sha256: a.report_sha256.trim() }] : []),
    ...artifacts
      .filter((f) => f.audit_id === a.id)
      .map((f): DeletionReceiptItem => ({
        type: 'artifact',
        id: a.id,
        name: f.name,
        sha256: f.sha256.trim(),
        blobSha256: f.sha256.trim(),
        sizeBytes: Number(f.bytes),
      })),
    ...((deliveriesOf.get(a.id) ?? 0) > 0
      ? [{ type: 'notification-deliveries' as const, id: a.id, count: deliveriesOf.get(a.id) }]
      : []),
  ]);
  return { items, blobs: [...new Set(artifacts.map((f) => f.sha256.trim()))] };
}

/** A model's notification subscriptions and their delivery logs (they cascade with the model). */
async function subscriptionItems(m: EntityManager, modelId: string): Promise<DeletionReceiptItem[]> {
  const rows: Array<{ id: string; url: string; deliveries: number }> = await m.query(
    `SELECT s.id, s.url, (SELECT count(*)::int FROM notification_deliveries d WHERE d.subscription_id = s.id) AS deliveries
       FROM notification_subscriptions s WHERE s.model_id = $1 ORDER BY s.created_at, s.id`,
    [modelId],
  );
  return rows.flatMap((r): DeletionReceiptItem[] => [
    { type: 'notification-subscription', id: r.id, name: hostOf(r.url) },
    ...(r.deliveries > 0 ? [{ type: 'notification-deliveries' as const, id: r.id, count: r.deliveries }] : []),
  ]);
}

/** The host of a subscription's URL: enough to recognise it, without a path that might carry a token. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** Reference models derived from the dataset, or sealed under its key. */
async function deleteReferenceModels(
  m: EntityManager,
  datasetId: string,
  keyId: string | null,
): Promise<DeletionReceiptItem[]> {
  const rows: Array<{ cache_key: string; sha256: string; size_bytes: number; key_id: string | null }> = await m.query(
    `DELETE FROM reference_models
      WHERE cache_key IN (SELECT cache_key FROM reference_model_sources WHERE dataset_id = $1)
         OR ($2::uuid IS NOT NULL AND key_id = $2::uuid)
      RETURNING cache_key, encode(sha256(weights), 'hex') AS sha256, size_bytes, key_id`,
    [datasetId, keyId],
  );
  const deleted = Array.isArray(rows[0]) ? (rows[0] as unknown as typeof rows) : rows;
  return deleted.map((r) => ({
    type: 'reference-model' as const,
    id: r.cache_key,
    sha256: r.sha256,
    sizeBytes: Number(r.size_bytes),
    ...(r.key_id ? { keyId: r.key_id } : {}),
  }));
}

/**
 * Of these blob ids, those no remaining dataset, model version or audit artefact uses (blobs are content-addressed,
 * so shared).
 */
export async function unreferenced(m: EntityManager, blobs: readonly string[]): Promise<string[]> {
  blobs = [...new Set(blobs)];
  if (blobs.length === 0) return [];
  const used: Array<{ blob: string }> = await m.query(
    `SELECT DISTINCT blob FROM (
        SELECT coalesce(blob_sha256, sha256) AS blob FROM datasets
        UNION ALL SELECT sha256 FROM model_versions WHERE kind = 'onnx'
        UNION ALL SELECT preprocessing->>'sha256' FROM model_versions WHERE preprocessing IS NOT NULL
        UNION ALL SELECT sha256 FROM audit_artifacts
      ) u WHERE blob = ANY($1::text[])`,
    [[...blobs]],
  );
  const kept = new Set(used.map((u) => u.blob.trim()));
  return blobs.filter((b) => !kept.has(b));
}
