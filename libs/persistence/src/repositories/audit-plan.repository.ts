import type { AuditPlanRecord } from '../records';

export interface AuditPlanInput {
  readonly options: Readonly<Record<string, unknown>>;
  readonly maxRise: number | null;
  readonly maxReferenceSeconds: number | null;
  readonly reauditOnNewVersion: boolean;
  readonly schedule: string | null;
}

/** One audit plan per model (replaced whole by PUT). */
export abstract class AuditPlanRepository {
  /** Inserts or replaces the model's plan; returns it as stored. */
  abstract upsert(modelId: string, plan: AuditPlanInput): Promise<AuditPlanRecord>;
  abstract find(modelId: string): Promise<AuditPlanRecord | null>;
  /** True when a plan was deleted. */
  abstract delete(modelId: string): Promise<boolean>;
  /** Every plan with a schedule (the api reconciles the queue's job schedulers with them at start-up). */
  abstract listScheduled(): Promise<AuditPlanRecord[]>;
  /** Installation-wide: the tenant of a model (a schedule's tick made before tenants names only the model). */
  abstract tenantOfModel(modelId: string): Promise<string | null>;
}
