// An audit's stored extraction / inversion options (audits.attack_options, named as POST /audits takes them) as the
// engine's AuditRequest fields: the api's commission checks and the worker's audit pass the very same.
import type { AuditRequest } from '../../engine/src/audit/audit-request';
import type { AuditAttackOptions } from './records';

/** The engine's AuditRequest fields for the stored extraction / inversion options (the worker passes the same). */
export function attackRequestOptions(
  o: AuditAttackOptions | null,
): Pick<
  AuditRequest,
  'queryPrice' | 'extractionWhatIf' | 'knockoffStrategy' | 'sensitiveColumn' | 'inversionQueryBudget'
> {
  if (!o) return {};
  return {
    ...(o.queryPrice !== undefined ? { queryPrice: o.queryPrice } : {}),
    ...(o.extractionWhatIf ? { extractionWhatIf: true } : {}),
    ...(o.knockoffStrategy !== undefined ? { knockoffStrategy: o.knockoffStrategy } : {}),
    ...(o.sensitiveColumn !== undefined ? { sensitiveColumn: o.sensitiveColumn } : {}),
    ...(o.inversionQueries !== undefined ? { inversionQueryBudget: o.inversionQueries } : {}),
  };
}
