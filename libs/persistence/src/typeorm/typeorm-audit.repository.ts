import { In, QueryFailedError } from 'typeorm';
import { TenantDb, type TenantScopedRepository } from '../tenancy/tenant-db';
import type { AuditReport, RiskRating, Severity } from '../../../engine/src/types';
import { AuditEntity, FindingEntity } from '../entities';
import { ACTIVE_AUDIT_STATUSES, AuditRecord, AuditStatus, FindingRecord, ModelAuditHistoryEntry } from '../records';
import {
  ActiveAuditExistsError,
  AuditRepository,
  NewAudit,
  type NewAuditArtifact,
} from '../repositories/audit.repository';
import type { AuditArtifactKind, AuditArtifactRecord } from '../records';

interface ArtifactRow {
  audit_id: string;
  name: string;
  kind: string;
  media_type: string;
  sha256: string;
  bytes: string | number;
  created_at: Date;
}

function artifactOf(r: ArtifactRow): AuditArtifactRecord {
  return {
    auditId: r.audit_id,
    name: r.name,
    kind: r.kind as AuditArtifactKind,
    mediaType: r.media_type,
    sha256: r.sha256,
    bytes: Number(r.bytes),
    createdAt: r.created_at,
  };
}

const ONE_ACTIVE_INDEX = 'audits_one_active_per_model_version';

export class TypeOrmAuditRepository extends AuditRepository {
  private readonly audits: TenantScopedRepository<AuditEntity>;
  constructor(private readonly db: TenantDb) {
    super();
    this.audits = db.repository(AuditEntity);
  }

  async createQueued(input: NewAudit): Promise<AuditRecord> {
    try {
      const saved = await this.audits.save(
        this.audits.create({
          ...input,
          attacks: input.attacks ? [...input.attacks] : null,
          groupColumn: input.groupColumn ?? null,
          referenceTraining: input.referenceTraining ? { ...input.referenceTraining } : null,
          classes: input.classes ? [...input.classes] : null,
          outputPolicy: input.outputPolicy ?? null,
          referenceHidden: input.referenceHidden ? [...input.referenceHidden] : null,
          referenceActivation: input.referenceActivation ?? null,
          duplicates: input.duplicates ?? null,
          targetTrainSize: input.targetTrainSize ?? null,
          duplicateRecords: null,
          estimate: input.estimate ?? null,
          referenceModelKeys: input.referenceModelKeys ? [...input.referenceModelKeys] : null,
          trigger: input.trigger ?? 'manual',
          maxRise: input.maxRise ?? null,
          reportSha256: null,
          queryBudget: input.queryBudget ?? null,
          queriesUsed: 0,
          attackOptions: input.attackOptions ? { ...input.attackOptions } : null,
          status: AuditStatus.Queued,
          progress: 0,
          phase: 'queued',
          failureCode: null,
          failureReason: null,
          riskScore: null,
          riskRating: null,
          report: null,
          startedAt: null,
          finishedAt: null,
        }),
      );
      return toRecord(saved);
    } catch (e) {
      if (isUniqueViolation(e, ONE_ACTIVE_INDEX)) {
        const existing = await this.findActiveForModelVersion(input.modelVersionId);
        throw new ActiveAuditExistsError(existing?.id ?? null);
      }
      throw e;
    }
  }

  async findById(id: string): Promise<AuditRecord | null> {
    // Never the report: toRecord drops it, and a succeeded audit's report can be large (findReport reads it).
    const found = await this.audits.findOne({ where: { id }, select: this.columnsButReport() });
    return found ? toRecord(found) : null;
  }

  async findActiveForModelVersion(modelVersionId: string): Promise<AuditRecord | null> {
    const found = await this.audits.findOne({
      where: { modelVersionId, status: In([...ACTIVE_AUDIT_STATUSES]) },
      select: this.columnsButReport(),
    });
    return found ? toRecord(found) : null;
  }

  async recordQueries(id: string, queries: number): Promise<number | null> {
    const rows = rowsOf(
      await this.db.query(
        // Conditional: jobs of one audit running at once (reference models on several workers) share one budget.
        `UPDATE audits SET queries_used = queries_used + $2, updated_at = now()
         WHERE id = $1 AND (query_budget IS NULL OR queries_used + $2 <= query_budget) RETURNING queries_used`,
        [id, queries],
      ),
    ) as Array<{ queries_used: number }>;
    return rows[0] ? Number(rows[0].queries_used) : null;
  }

  async queriesUsed(id: string): Promise<number | null> {
    const rows: Array<{ queries_used: number }> = await this.db.query(`SELECT queries_used FROM audits WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? Number(rows[0].queries_used) : null;
  }

  async markRunning(id: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE audits SET status = 'running', started_at = COALESCE(started_at, now()), phase = 'starting', updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [id],
    );
    return rowsOf(result).length === 1;
  }

  async timeLeftMs(id: string, timeoutSeconds: number): Promise<number | null> {
    const rows: Array<{ left_ms: number }> = rowsOf(
      await this.db.query(
        `UPDATE audits SET deadline_at = COALESCE(deadline_at, now() + make_interval(secs => $2::double precision))
         WHERE id = $1 AND status IN ('queued', 'running')
         RETURNING (extract(epoch FROM deadline_at - now()) * 1000)::double precision AS left_ms`,
        [id, timeoutSeconds],
      ),
    );
    return rows[0]?.left_ms ?? null;
  }

  async failOverdue(limit: number, reason: string): Promise<string[]> {
    const rows: Array<{ id: string }> = rowsOf(
      // Installation-wide, like listStaleActive: the repair loop ends every tenant's overdue audits.
      await this.db.installation.query(
        `UPDATE audits SET status = 'failed', failure_code = 'AUDIT_TIMEOUT', failure_reason = $2, finished_at = now(), updated_at = now()
         WHERE id IN (SELECT id FROM audits WHERE status IN ('queued', 'running') AND deadline_at < now()
                      ORDER BY deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           AND status IN ('queued', 'running')
         RETURNING id`,
        [limit, reason],
      ),
    );
    return rows.map((r) => r.id);
  }

  async recordProgress(id: string, progress: number, phase: string): Promise<AuditStatus | null> {
    const clamped = Math.max(0, Math.min(100, Math.round(progress)));
    await this.db.query(
      `UPDATE audits SET progress = GREATEST(progress, $2), phase = $3, updated_at = now() WHERE id = $1 AND status = 'running'`,
      [id, clamped, phase],
    );
    const rows: Array<{ status: AuditStatus }> = await this.db.query(`SELECT status FROM audits WHERE id = $1`, [id]);
    return rows[0]?.status ?? null;
  }

  async completeWithReport(
    id: string,
    report: AuditReport,
    reportSha256: string,
    artifacts: readonly NewAuditArtifact[] = [],
  ): Promise<boolean> {
    return this.db.run(async (em) => {
      const locked = rowsOf(
        await em.query(`SELECT id FROM audits WHERE id = $1 AND status = 'running' FOR UPDATE`, [id]),
      );
      if (locked.length === 0) return false;
      for (const f of report.findings) {
        await em.query(
          `INSERT INTO findings (audit_id, attack, severity, reference, summary, metrics, most_exposed)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (audit_id, attack) DO UPDATE SET severity = EXCLUDED.severity, reference = EXCLUDED.reference,
             summary = EXCLUDED.summary, metrics = EXCLUDED.metrics, most_exposed = EXCLUDED.most_exposed`,
          [
            id,
            f.attack,
            f.severity,
            f.reference,
            f.summary,
            JSON.stringify(f.metrics),
            JSON.stringify('mostExposed' in f ? f.mostExposed : []),
          ],
        );
      }
      await em.query(
        `UPDATE audits SET status = 'succeeded', progress = 100, phase = 'done', report = $2, risk_score = $3, risk_rating = $4,
           duplicate_records = $5, report_sha256 = $6, finished_at = now(), updated_at = now() WHERE id = $1`,
        [
          id,
          JSON.stringify(report),
          Math.round(report.risk.score),
          report.risk.rating,
          report.data.duplicates ? JSON.stringify(report.data.duplicates) : null,
          reportSha256,
        ],
      );
      for (const a of artifacts) {
        await em.query(
          `INSERT INTO audit_artifacts (audit_id, name, kind, media_type, sha256, bytes) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (audit_id, name) DO UPDATE SET kind = EXCLUDED.kind, media_type = EXCLUDED.media_type,
             sha256 = EXCLUDED.sha256, bytes = EXCLUDED.bytes`,
          [id, a.name, a.kind, a.mediaType, a.sha256, a.bytes],
        );
      }
      return true;
    });
  }

  async listArtifacts(auditId: string): Promise<AuditArtifactRecord[]> {
    return rowsOf<ArtifactRow>(
      await this.db.query(
        `SELECT audit_id, name, kind, media_type, sha256, bytes, created_at FROM audit_artifacts WHERE audit_id = $1 ORDER BY name`,
        [auditId],
      ),
    ).map(artifactOf);
  }

  async findArtifact(auditId: string, name: string): Promise<AuditArtifactRecord | null> {
    const [row] = rowsOf<ArtifactRow>(
      await this.db.query(
        `SELECT audit_id, name, kind, media_type, sha256, bytes, created_at FROM audit_artifacts WHERE audit_id = $1 AND name = $2`,
        [auditId, name],
      ),
    );
    return row ? artifactOf(row) : null;
  }

  async listForModel(
    modelId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: ModelAuditHistoryEntry[]; total: number }> {
    const page: Array<{ id: string; version: number }> = await this.db.query(
      `SELECT a.id, v.version FROM audits a JOIN model_versions v ON v.id = a.model_version_id
       WHERE v.model_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
      [modelId, limit, offset],
    );
    const counted: Array<{ total: string }> = await this.db.query(
      `SELECT count(*) AS total FROM audits a JOIN model_versions v ON v.id = a.model_version_id WHERE v.model_id = $1`,
      [modelId],
    );
    // The report stays in Postgres: a history page lists audits, not their reports.
    const entities = page.length
      ? await this.audits.find({ where: { id: In(page.map((p) => p.id)) }, select: this.columnsButReport() })
      : [];
    const byId = new Map(entities.map((e) => [e.id, e]));
    const items = page.flatMap((p) => {
      const e = byId.get(p.id);
      return e ? [{ audit: toRecord(e), modelVersion: p.version }] : [];
    });
    return { items, total: Number(counted[0]?.total ?? 0) };
  }

  /** Every column but the report (jsonb, possibly large), from the entity's own metadata. */
  private columnsButReport(): Record<string, true> {
    const names = this.audits.metadata.columns.map((c) => c.propertyName).filter((name) => name !== 'report');
    return Object.fromEntries(names.map((name) => [name, true]));
  }

  async findPreviousSucceeded(auditId: string): Promise<AuditRecord | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT p.id FROM audits a
         JOIN model_versions av ON av.id = a.model_version_id
         JOIN model_versions pv ON pv.model_id = av.model_id
         JOIN audits p ON p.model_version_id = pv.id
       WHERE a.id = $1 AND p.status = 'succeeded' AND p.id <> a.id
         AND (p.created_at, p.id) < (a.created_at, a.id)
       ORDER BY p.created_at DESC, p.id DESC LIMIT 1`,
      [auditId],
    );
    return rows[0] ? this.findById(rows[0].id) : null;
  }

  async markFailed(id: string, failure: { code: string; reason: string }): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE audits SET status = 'failed', failure_code = $2, failure_reason = $3, finished_at = now(), updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [id, failure.code, failure.reason],
    );
    return rowsOf(result).length === 1;
  }

  async markCancelled(id: string): Promise<AuditStatus | null> {
    const rows: Array<{ previous: AuditStatus }> = rowsOf(
      await this.db.query(
        `UPDATE audits a SET status = 'cancelled', phase = 'cancelled', finished_at = now(), updated_at = now()
         FROM (SELECT id, status AS previous FROM audits WHERE id = $1 FOR UPDATE) old
         WHERE a.id = old.id AND a.status IN ('queued', 'running') RETURNING old.previous`,
        [id],
      ),
    );
    return rows[0]?.previous ?? null;
  }

  async requeue(id: string, phase: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE audits SET status = 'queued', phase = $2, updated_at = now() WHERE id = $1 AND status = 'running' RETURNING id`,
      [id, phase],
    );
    return rowsOf(result).length === 1;
  }

  async listStaleActive(
    minAgeMs: number,
    limit: number,
    offset = 0,
  ): Promise<Array<{ id: string; status: AuditStatus; tenantId: string }>> {
    // Installation-wide: the repair loop looks at every tenant's audits, then acts in each one's tenant.
    return this.db.installation.query(
      `SELECT id, status, tenant_id AS "tenantId" FROM audits
       WHERE status IN ('queued', 'running') AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY updated_at, id LIMIT $2 OFFSET $3`,
      [minAgeMs, limit, offset],
    );
  }

  async tenantUsageSince(since: Date): Promise<{ referenceSeconds: number; queries: number }> {
    const rows: Array<{ seconds: number; queries: string }> = await this.db.query(
      `SELECT coalesce(sum((estimate->>'estimatedSeconds')::double precision), 0)::double precision AS seconds,
         coalesce(sum(CASE WHEN status IN ('queued', 'running') THEN coalesce(query_budget, 0) ELSE queries_used END), 0)::bigint
           AS queries
       FROM audits WHERE created_at >= $1 AND NOT (status = 'cancelled' AND started_at IS NULL)`,
      [since],
    );
    return { referenceSeconds: Number(rows[0]?.seconds ?? 0), queries: Number(rows[0]?.queries ?? 0) };
  }

  async tenantOfAudit(id: string): Promise<string | null> {
    const rows: Array<{ tenant_id: string }> = await this.db.installation.query(
      `SELECT tenant_id FROM audits WHERE id = $1`,
      [id],
    );
    return rows[0]?.tenant_id ?? null;
  }

  async countByStatus(): Promise<Record<AuditStatus, number>> {
    // Installation-wide (/metrics): counts, no tenant's data.
    const rows: Array<{ status: AuditStatus; n: number }> = await this.db.installation.query(
      `SELECT status, count(*)::int AS n FROM audits GROUP BY status`,
    );
    const counts = Object.fromEntries(Object.values(AuditStatus).map((s) => [s, 0])) as Record<AuditStatus, number>;
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async listFindings(auditId: string): Promise<FindingRecord[]> {
    const all = await this.db.repository(FindingEntity).find({ where: { auditId }, order: { attack: 'ASC' } });
    return all.map((f) => ({ ...f, severity: f.severity as Severity }));
  }

  async findReport(auditId: string): Promise<AuditReport | null> {
    const found = await this.audits.findOne({ where: { id: auditId }, select: { id: true, report: true } });
    return found?.report ?? null;
  }
}

// pg returns [rows, count] for UPDATE ... RETURNING through TypeORM's query(); SELECT returns rows.
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as T[];
  return result as T[];
}

function isUniqueViolation(e: unknown, constraint: string): boolean {
  if (!(e instanceof QueryFailedError)) return false;
  const driverError = (e as QueryFailedError & { driverError?: { code?: string; constraint?: string } }).driverError;
  return driverError?.code === '23505' && driverError.constraint === constraint;
}

function toRecord(e: AuditEntity): AuditRecord {
  const { report: _report, ...rest } = e;
  return { ...rest, status: e.status as AuditStatus, riskRating: e.riskRating as RiskRating | null };
}
