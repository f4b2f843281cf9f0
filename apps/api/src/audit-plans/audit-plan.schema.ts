import { z } from 'zod';
import { commissionAuditSchema } from '../audits/audits.controller';

/**
 * PUT /models/:id/audit-plan: the POST /audits fields but modelVersionId (each re-audit names the version), plus
 * what the plan itself decides. Unknown fields are refused, so a misspelt gate is not silently dropped.
 */
export const auditPlanSchema = commissionAuditSchema
  .omit({ modelVersionId: true })
  .extend({
    /**
     * Release gate: an audit of this model whose risk score rose by more than this many points (0-100) over the
     * previous succeeded audit of the model fails its gate (audit resource `gate.passed` false). Unset: no gate.
     */
    maxRise: z.number().min(0).max(100).optional(),
    /** A budget for each re-audit's reference-model training (estimated seconds), on top of MAX_REFERENCE_SECONDS. */
    maxReferenceSeconds: z.number().positive().optional(),
    /** Queue a re-audit when a new version of the model is uploaded (default true). */
    reauditOnNewVersion: z.boolean().optional(),
    /**
     * Re-audit the model's latest version on this cron schedule (UTC; 5 fields, 6 with seconds first, or @daily
     * and the like), as a BullMQ job scheduler. Checked by the service (422 INVALID_SCHEDULE naming the field).
     */
    schedule: z.string().max(200).optional(),
  })
  .strict();

export type AuditPlanBody = z.infer<typeof auditPlanSchema>;
