// Runs the requested inversion attacks of one audit against the (possibly remote) target, after the membership
// attacks: one query budget shared by all of them, each returning its finding.

import type { InversionFinding } from '../types';
import type { InversionAttack, InversionAttackContext } from './inversion-attack';
import { InversionQueryBudget } from './query-budget';

export interface InversionRunArgs extends Omit<InversionAttackContext, 'budget' | 'onProgress'> {
  readonly attacks: readonly InversionAttack[];
  /** The audit's cap on inversion queries (rows sent to the target); undefined = none beyond the target's own. */
  readonly queryBudget?: number;
  readonly checkAbort?: () => void;
  readonly onProgress?: (attack: InversionAttack, fraction: number, message?: string) => void;
}

export async function runInversionAttacks(args: InversionRunArgs): Promise<InversionFinding[]> {
  const { attacks, queryBudget, checkAbort, onProgress, ...shared } = args;
  const budget = new InversionQueryBudget(shared.target, queryBudget);
  const findings: InversionFinding[] = [];
  for (const attack of attacks) {
    checkAbort?.();
    onProgress?.(attack, 0, `running ${attack.id}`);
    findings.push(
      await attack.run({
        ...shared,
        budget,
        onProgress: (fraction, message) => onProgress?.(attack, fraction, message),
      }),
    );
  }
  return findings;
}
