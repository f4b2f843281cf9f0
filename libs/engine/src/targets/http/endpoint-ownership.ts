// The ownership proof (protocol documented in outbound-policy.ts and docs/remote-targets.md).

import { EngineError, EngineErrorCode } from '../../errors';
import type { OutboundPolicy } from './outbound-policy';

/**
 * Fetches `<origin>/.well-known/privaudit-verification/<id>` through the guarded client and checks that it
 * answers 200 with the token. Throws EngineError TARGET_OWNERSHIP_UNPROVEN saying how to prove control (the
 * well-known URL, never the token), or TARGET_DESTINATION_REFUSED for a refused destination.
 */
export function verifyEndpointOwnership(url: string, token: string, policy: OutboundPolicy): Promise<void> {
  void url;
  void token;
  void policy;
  return Promise.reject(
    new EngineError(EngineErrorCode.Internal, 'verifyEndpointOwnership: implemented in the next commit'),
  );
}
