// A dry run: what an audit would do and what its reference models would cost, without starting the model
// runtime or training anything. The CLI prints it for --dry-run; the service shows it before queueing.

import type { DuplicateRecords } from '../data/duplicate-records';
import { formatOutputPolicy } from '../targets/output-policy';
import type { AttackId, AuditReport, ReferenceMode } from '../types';
import { preprocessingReportEntry } from './audit-preprocessing';
import type { AuditRequest } from './audit-request';
import { prepareAudit } from './prepare-audit';
import { type AuditReferenceModelPlan, referenceModelPlanOf } from './distributed-reference-models';
import type { TargetQueryPlan } from './query-plan';
import { resolveOutboundPolicy } from '../targets/http/outbound-policy';

export interface AuditPlan {
  readonly attacks: AttackId[];
  /** The output policy the audit would apply, canonical form; absent when none. */
  readonly outputPolicy?: string;
  /** Present (true) when the target would answer labels only, so only label-only attacks can run. */
  readonly labelsOnly?: true;
  /** The preprocessing spec raw tables are encoded through, as the report would record it. */
  readonly preprocessing?: AuditReport['data']['preprocessing'];
  /** One set of K models per mode the attacks need; empty when none does. */
  readonly referenceModels: Array<{ mode: ReferenceMode; k: number }>;
  /** Upper bound: every model counted as untrained, since the cache is not probed. */
  readonly estimate: { modelsToTrain: number; estimatedSeconds: number };
  /** When reference models are needed: their training-set size and epochs ('auto' is priced at maxEpochs). */
  readonly referenceFit?: { trainSize: number; epochs: number | 'auto'; maxEpochs?: number };
  /** Present when the data hold identical records under different ids: what the audit would count and leave out. */
  readonly duplicates?: AuditReport['data']['duplicates'];
  /** Present when extraction attacks are requested: the most attack queries they may send (budget x attacks x runs). */
  readonly extractionQueries?: number;
  /** False when req.maxReferenceSeconds is set and the estimate is over it (runAudit would refuse). */
  readonly withinBudget: boolean;
  /** A remote target: the queries the audit would send at most, and the budget they are checked against. */
  readonly queries?: TargetQueryPlan & { readonly budget: number };
  /**
   * Every reference model the attacks need, one per (mode, index), with its cache key and the estimated seconds
   * of one model per mode: the service prices those not yet stored and queues one training job each.
   */
  readonly referenceModelPlan: AuditReferenceModelPlan;
}

/**
 * Inspects the model and loads and checks the data exactly as runAudit does, then stops: the one call that
 * validates and prices an audit request, for the CLI's --dry-run and the service's POST /audits alike.
 */
export async function planAudit(
  req: AuditRequest,
  options: { readonly enforceQueryBudget?: boolean } = {},
): Promise<AuditPlan> {
  // The CLI's --dry-run shows an over-budget plan (marked refused); the service refuses it (QUERY_BUDGET_EXCEEDED).
  const prepared = await prepareAudit(req, { enforceQueryBudget: options.enforceQueryBudget === true });
  const estimate = {
    modelsToTrain: prepared.referenceCost?.modelsToTrain ?? 0,
    estimatedSeconds: prepared.referenceCost?.estimatedSeconds ?? 0,
  };
  return {
    attacks: prepared.attackIds,
    ...(prepared.outputPolicy ? { outputPolicy: formatOutputPolicy(prepared.outputPolicy) } : {}),
    ...(prepared.labelsOnly ? { labelsOnly: true as const } : {}),
    ...(prepared.preprocessing ? { preprocessing: preprocessingReportEntry(prepared.preprocessing) } : {}),
    referenceModels: prepared.referenceSets.map((s) => ({ mode: s.mode, k: s.k })),
    estimate,
    ...(prepared.referenceCost
      ? {
          referenceFit: {
            trainSize: prepared.referenceTrainSize,
            epochs: prepared.referenceEpochs,
            ...(prepared.referenceCost.maxEpochs !== undefined ? { maxEpochs: prepared.referenceCost.maxEpochs } : {}),
          },
        }
      : {}),
    ...(hasDuplicates(prepared.duplicates) ? { duplicates: { ...prepared.duplicates } } : {}),
    ...(prepared.queryPlan
      ? {
          queries: {
            ...prepared.queryPlan,
            budget: resolveOutboundPolicy({ queryBudget: req.outbound?.queryBudget }).queryBudget,
          },
        }
      : {}),
    ...(prepared.extractionAttacks.length > 0 ? { extractionQueries: prepared.extractionQueries } : {}),
    referenceModelPlan: referenceModelPlanOf(req, prepared),
    withinBudget:
      req.maxReferenceSeconds === undefined ||
      estimate.modelsToTrain === 0 ||
      estimate.estimatedSeconds <= req.maxReferenceSeconds,
  };
}

function hasDuplicates(d: DuplicateRecords): boolean {
  return (
    d.nonMembersMatchingMembers +
      d.populationMatchingAudited +
      d.withinMembers +
      d.withinNonMembers +
      d.withinPopulation >
    0
  );
}
