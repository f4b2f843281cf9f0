// A model version that is a remote prediction endpoint: the request body checked with the engine
// (parseRemoteTargetSpec), the destination with its outbound policy (assertPublicDestination), the secrets split
// off for encryption. No I/O beyond DNS resolution; ModelRegistryService stores the result.
import { randomBytes } from 'node:crypto';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import {
  assertPublicDestination,
  ownershipInstructions,
  ownershipProofUrl,
  resolveOutboundPolicy,
  type OutboundPolicy,
} from '../../../../libs/engine/src/targets/http/outbound-policy';
import {
  parseRemoteTargetSpec,
  remoteTargetSha256,
  type RemoteTargetSpec,
} from '../../../../libs/engine/src/targets/http/remote-target-spec';
import { remoteSignature } from '../../../../libs/engine/src/targets/http/http-target';
import type { ModelSignature } from '../../../../libs/engine/src/types';
import type { EndpointSecrets } from '../../../../libs/persistence/src/secrets/endpoint-secret-box';
import type { EndpointDescription, ModelVersionRecord } from '../../../../libs/persistence/src/records';

const SOURCE = 'request body';

export interface CheckedEndpoint {
  readonly spec: RemoteTargetSpec;
  readonly description: EndpointDescription;
  readonly secrets: EndpointSecrets;
  readonly signature: ModelSignature;
  readonly numClasses: number;
  readonly classNames: readonly string[] | null;
  readonly sha256: string;
  readonly allowListed: boolean;
}

/** The service's outbound policy: the admin allow-list from OUTBOUND_ALLOW_HOSTS over the engine's defaults. */
export function serviceOutboundPolicy(allowHosts: readonly string[]): OutboundPolicy {
  return resolveOutboundPolicy({ allowHosts: [...allowHosts] });
}

/**
 * Parses and checks a registration body: the engine's remote target spec fields plus `nFeatures` (the service
 * checks every dataset's feature count against it before an audit is queued) and the class count (numClasses
 * or classNames: the service checks labels and output policies against it). Throws EngineError naming the
 * field (INVALID_TARGET_SPEC) or the refused destination's reason (TARGET_DESTINATION_REFUSED).
 */
export async function checkEndpointRegistration(body: unknown, policy: OutboundPolicy): Promise<CheckedEndpoint> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new EngineError(EngineErrorCode.InvalidTargetSpec, `${SOURCE}: send the endpoint as a JSON object`);
  }
  const { nFeatures, ...specFields } = body as Record<string, unknown>;
  if (typeof nFeatures !== 'number' || !Number.isInteger(nFeatures) || nFeatures < 1 || nFeatures > 1_000_000) {
    throw new EngineError(
      EngineErrorCode.InvalidTargetSpec,
      `${SOURCE}: field 'nFeatures' is required: the number of features per row the endpoint takes (an integer of at least 1)`,
    );
  }
  const spec = parseRemoteTargetSpec(specFields, SOURCE);
  const numClasses = spec.numClasses ?? spec.classNames?.length;
  if (numClasses === undefined) {
    throw new EngineError(
      EngineErrorCode.InvalidTargetSpec,
      `${SOURCE}: remote target field 'numClasses' is required (or 'classNames', in class-index order): the number of classes the endpoint distinguishes`,
    );
  }
  const checked = await assertPublicDestination(spec.url, policy);
  const url = new URL(spec.url);
  const description: EndpointDescription = {
    url: `${url.origin}${url.pathname}`,
    protocol: spec.protocol,
    output: spec.output,
    headerNames: Object.keys(spec.headers)
      .map((h) => h.toLowerCase())
      .sort(),
    hasQueryString: url.search !== '',
    ...(spec.modelName !== undefined ? { modelName: spec.modelName } : {}),
    ...(spec.inputName !== undefined ? { inputName: spec.inputName } : {}),
    ...(spec.json !== undefined ? { json: spec.json } : {}),
    ...(spec.batchSize !== undefined ? { batchSize: spec.batchSize } : {}),
    nFeatures,
  };
  return {
    spec,
    description,
    secrets: { headers: { ...spec.headers }, query: url.search },
    // What the service's checks read of a model (feature and class counts, output kind); no ONNX behind it.
    signature: remoteSignature(spec, nFeatures, numClasses),
    numClasses,
    classNames: spec.classNames ?? null,
    // The spec as the worker rebuilds it (endpoint-target.ts: names imply the count), so the version's sha256
    // is the report's target.sha256.
    sha256: remoteTargetSha256(spec.classNames !== undefined ? { ...spec, numClasses: undefined } : spec),
    allowListed: checked.allowListed,
  };
}

/** A fresh ownership token (192 random bits, URL-safe). */
export function newOwnershipToken(): string {
  return randomBytes(24).toString('base64url');
}

export interface OwnershipState {
  /** False for an allow-listed host (an administrator vouched for it) and for file versions. */
  readonly required: boolean;
  readonly verified: boolean;
  readonly verifiedAt: Date | null;
  /** What to serve, and where (only while a proof is required). */
  readonly token?: string;
  readonly proofUrl?: string;
  readonly instructions?: string;
}

/** Whether the version's host needs (and has) an ownership proof, under today's allow-list. */
export function ownershipState(version: ModelVersionRecord, policy: OutboundPolicy): OwnershipState | null {
  if (version.kind !== 'endpoint' || !version.endpoint) return null;
  const allowListed = policy.allowHosts.includes(new URL(version.endpoint.url).hostname.toLowerCase());
  if (allowListed) return { required: false, verified: true, verifiedAt: version.ownershipVerifiedAt };
  const token = version.ownershipToken;
  if (token === null) return { required: true, verified: false, verifiedAt: null };
  return {
    required: true,
    verified: version.ownershipVerifiedAt !== null,
    verifiedAt: version.ownershipVerifiedAt,
    token,
    proofUrl: ownershipProofUrl(version.endpoint.url, token),
    instructions: `${ownershipInstructions(version.endpoint.url, token)}; then POST /model-versions/${version.id}/ownership/verify`,
  };
}
