// The ownership proof (protocol documented in outbound-policy.ts and docs/remote-targets.md): one GET of
// <origin>/.well-known/privaudit-verification/<first 32 hex of sha256(token)> through the guarded client.

import { EngineError, EngineErrorCode } from '../../errors';
import { OutboundClient } from './outbound-client';
import {
  isAllowListed,
  MIN_OWNERSHIP_TOKEN_LENGTH,
  type OutboundPolicy,
  ownershipInstructions,
  ownershipProofUrl,
} from './outbound-policy';

const MAX_PROOF_BYTES = 4096;

/**
 * Checks that the endpoint's origin answers 200 with the token at the well-known path. Allow-listed hosts need no
 * proof. Throws EngineError TARGET_OWNERSHIP_UNPROVEN saying how to prove control (the well-known URL, never the
 * token), or TARGET_DESTINATION_REFUSED for a refused destination. Spends no query budget.
 */
export async function verifyEndpointOwnership(
  url: string,
  token: string | undefined,
  policy: OutboundPolicy,
  client?: OutboundClient,
): Promise<void> {
  const target = new URL(url);
  if (isAllowListed(target, policy) || !policy.requireOwnership) return;
  const own = client ?? new OutboundClient({ ...policy, maxRetries: 0 });
  try {
    await checkOwnershipProof(url, token, own);
  } finally {
    if (client === undefined) await own.close();
  }
}

/** The proof itself, whoever the host is: the well-known path must answer 200 with the token. */
export async function checkOwnershipProof(
  url: string,
  token: string | undefined,
  client: OutboundClient,
): Promise<void> {
  const target = new URL(url);
  const unproven = (why: string): never => {
    throw new EngineError(
      EngineErrorCode.TargetOwnershipUnproven,
      `remote target ${target.host}: ownership not proven: ${why}; ${ownershipInstructions(url, token)}`,
    );
  };
  if (token === undefined || token.trim() === '') return unproven('no ownership token was given');
  if (token.length < MIN_OWNERSHIP_TOKEN_LENGTH)
    return unproven(`the ownership token is shorter than ${MIN_OWNERSHIP_TOKEN_LENGTH} characters`);
  let answer;
  try {
    answer = await client.getText(new URL(ownershipProofUrl(url, token)), MAX_PROOF_BYTES);
  } catch (error) {
    if (error instanceof EngineError && error.code === EngineErrorCode.TargetFailed)
      return unproven(error.message.replace(/^remote target [^:]+: /, 'the well-known path '));
    throw error;
  }
  if (answer.status !== 200) return unproven(`the well-known path answered HTTP ${answer.status}`);
  if (answer.body.toString('utf8').trim() !== token) return unproven('the well-known path does not serve the token');
}
