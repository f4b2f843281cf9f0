import type { OutboundPolicy } from '../../../../libs/engine/src/targets/http/outbound-policy';
import type { ModelVersionRecord } from '../../../../libs/persistence/src/records';
import { ownershipState, type OwnershipState } from './endpoint-registration';

/**
 * A model version as the API shows it. An endpoint shows its public description (URL without query string,
 * auth header names) and its ownership state; its secrets never reach a record, let alone a response.
 */
export type ModelVersionResource = Omit<ModelVersionRecord, 'ownershipToken' | 'ownershipVerifiedAt'> & {
  readonly ownership: OwnershipState | null;
};

export function modelVersionResource(v: ModelVersionRecord, policy: OutboundPolicy): ModelVersionResource {
  const { ownershipToken: _token, ownershipVerifiedAt: _verifiedAt, ...rest } = v;
  return { ...rest, ownership: ownershipState(v, policy) };
}
