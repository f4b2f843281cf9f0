// How many queries an audit will send to its target, at most, before it sends any: the audited records once
// each (every attack shares those answers; identical rows are one query), plus what each attack sends beyond
// them (label-only's noisy copies, RMIA's population points). A remote target's budget is checked against it.

import { UNIFORM_EVALUATION_ROWS } from '../extraction/run-extraction';
import type { LabeledDataset, MembershipAttack } from '../types';

export interface TargetQueryPlan {
  /** Distinct audited records (members and non-members), each queried once. */
  readonly audited: number;
  readonly perAttack: ReadonlyArray<{ readonly attack: string; readonly queries: number }>;
  /** An upper bound on the queries the audit sends (cache hits make the real figure lower, never higher). */
  readonly total: number;
}

function distinctRows(datasets: readonly LabeledDataset[]): number {
  const seen = new Set<string>();
  for (const ds of datasets) {
    const bytes = Buffer.from(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength);
    const width = ds.nFeatures * 4;
    for (let r = 0; r < ds.nRows; r++) seen.add(bytes.subarray(r * width, (r + 1) * width).toString('base64'));
  }
  return seen.size;
}

/**
 * Computed once per audit, after duplicate records were left out (prepareAudit), and carried on the PreparedAudit:
 * hashing every audited row is the costly part.
 */
export function planTargetQueries(audit: {
  readonly attacks: readonly MembershipAttack[];
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  /** The extraction attacks' queries in all (budget x attacks x runs), when any run. */
  readonly extractionAttacks?: ReadonlyArray<{ readonly id: string }>;
  readonly extractionQueries?: number;
}): TargetQueryPlan {
  const audited = distinctRows([audit.members, audit.nonMembers]);
  const sizes = {
    nAudited: audit.members.nRows + audit.nonMembers.nRows,
    nPopulation: audit.population?.nRows ?? 0,
  };
  const perAttack: Array<{ attack: string; queries: number }> = audit.attacks.map((a) => ({
    attack: a.id,
    queries: a.plannedTargetQueries?.(sizes) ?? 0,
  }));
  const plan = { audited, perAttack, total: audited + perAttack.reduce((s, a) => s + a.queries, 0) };
  return withExtractionQueries(plan, audit.extractionAttacks ?? [], audit.extractionQueries ?? 0);
}

/** The plan plus the extraction attacks' budgets and the uniform inputs their fidelity is measured on (once). */
export function withExtractionQueries(
  plan: TargetQueryPlan,
  extractionAttacks: ReadonlyArray<{ readonly id: string }>,
  extractionQueries: number,
): TargetQueryPlan {
  if (extractionAttacks.length === 0) return plan;
  const queries = extractionQueries + UNIFORM_EVALUATION_ROWS;
  return {
    audited: plan.audited,
    perAttack: [...plan.perAttack, { attack: extractionAttacks.map((a) => a.id).join('+'), queries }],
    total: plan.total + queries,
  };
}
