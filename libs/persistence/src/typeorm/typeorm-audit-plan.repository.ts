import type { TenantDb } from '../tenancy/tenant-db';
import type { AuditPlanRecord } from '../records';
import { AuditPlanInput, AuditPlanRepository } from '../repositories/audit-plan.repository';

interface AuditPlanRow {
  model_id: string;
  tenant_id?: string;
  options: Record<string, unknown>;
  max_rise: number | null;
  max_reference_seconds: number | null;
  reaudit_on_new_version: boolean;
  schedule: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `model_id, options, max_rise, max_reference_seconds, reaudit_on_new_version, schedule, created_at, updated_at`;

export class TypeOrmAuditPlanRepository extends AuditPlanRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async upsert(modelId: string, plan: AuditPlanInput): Promise<AuditPlanRecord> {
    const rows: AuditPlanRow[] = await this.db.query(
      `INSERT INTO audit_plans (model_id, options, max_rise, max_reference_seconds, reaudit_on_new_version, schedule)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (model_id) DO UPDATE SET options = EXCLUDED.options, max_rise = EXCLUDED.max_rise,
         max_reference_seconds = EXCLUDED.max_reference_seconds,
         reaudit_on_new_version = EXCLUDED.reaudit_on_new_version, schedule = EXCLUDED.schedule, updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        modelId,
        JSON.stringify(plan.options),
        plan.maxRise,
        plan.maxReferenceSeconds,
        plan.reauditOnNewVersion,
        plan.schedule,
      ],
    );
    return toRecord(rows[0]!);
  }

  async find(modelId: string): Promise<AuditPlanRecord | null> {
    const rows: AuditPlanRow[] = await this.db.query(`SELECT ${COLUMNS} FROM audit_plans WHERE model_id = $1`, [
      modelId,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async delete(modelId: string): Promise<boolean> {
    const result: unknown = await this.db.query(`DELETE FROM audit_plans WHERE model_id = $1 RETURNING model_id`, [
      modelId,
    ]);
    const rows = Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as unknown[]) : (result as unknown[]);
    return rows.length > 0;
  }

  async tenantOfModel(modelId: string): Promise<string | null> {
    const rows: Array<{ tenant_id: string }> = await this.db.installation.query(
      `SELECT tenant_id FROM models WHERE id = $1`,
      [modelId],
    );
    return rows[0]?.tenant_id ?? null;
  }

  async listScheduled(): Promise<AuditPlanRecord[]> {
    // Installation-wide: the api reconciles every tenant's schedules with the queue at start-up.
    const rows: AuditPlanRow[] = await this.db.installation.query(
      `SELECT ${COLUMNS}, tenant_id FROM audit_plans WHERE schedule IS NOT NULL ORDER BY model_id`,
    );
    return rows.map(toRecord);
  }
}

function toRecord(r: AuditPlanRow): AuditPlanRecord {
  return {
    modelId: r.model_id,
    ...(r.tenant_id !== undefined ? { tenantId: r.tenant_id } : {}),
    options: r.options,
    maxRise: r.max_rise,
    maxReferenceSeconds: r.max_reference_seconds,
    reauditOnNewVersion: r.reaudit_on_new_version,
    schedule: r.schedule,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
