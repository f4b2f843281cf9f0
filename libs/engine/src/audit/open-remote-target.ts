// Opens an audit's remote target (runAudit, and the service's reference-model jobs measuring the target's fit).

import { HttpTarget } from '../targets/http/http-target';
import { resolveOutboundPolicy } from '../targets/http/outbound-policy';
import type { RemoteTargetSpec } from '../targets/http/remote-target-spec';
import type { AuditRequest } from './audit-request';
import type { PreparedAudit } from './prepare-audit';

/**
 * Checks the destination, refuses a plan over the budget before any request (when given), proves ownership
 * (unless allow-listed). The adapter gets the data's column names (MLflow's dataframe_split).
 */
export function openAuditHttpTarget(
  req: AuditRequest,
  prepared: PreparedAudit,
  spec: RemoteTargetSpec,
  plannedQueries?: number,
): Promise<HttpTarget> {
  const { ledger, ownershipToken, ...policyFields } = req.outbound ?? {};
  return HttpTarget.open({
    spec,
    nFeatures: prepared.signature.nFeatures,
    numClasses: prepared.signature.numClasses,
    featureNames: prepared.members.featureNames,
    ...(prepared.classes !== undefined ? { classNames: prepared.classes } : {}),
    policy: resolveOutboundPolicy(policyFields),
    ...(ledger ? { ledger } : {}),
    ...(ownershipToken !== undefined ? { ownershipToken } : {}),
    ...(plannedQueries !== undefined ? { plannedQueries } : {}),
  });
}
