import type { RemoteTargetSpec } from '../../../engine/src/targets/http/remote-target-spec';
import type { ModelVersionRecord } from '../records';
import type { EndpointSecrets } from './endpoint-secret-box';

/**
 * The engine's remote target spec of an endpoint version: its public description with the decrypted secrets put
 * back (header values, the URL's query string). Built in the worker just before an audit; never stored or logged.
 */
export function remoteTargetOf(version: ModelVersionRecord, secrets: EndpointSecrets | null): RemoteTargetSpec {
  const d = version.endpoint;
  if (!d) throw new Error(`model version ${version.id} is not an endpoint`);
  return {
    url: `${d.url}${secrets?.query ?? ''}`,
    protocol: d.protocol,
    headers: { ...(secrets?.headers ?? {}) },
    output: d.output,
    ...(d.modelName !== undefined ? { modelName: d.modelName } : {}),
    ...(d.inputName !== undefined ? { inputName: d.inputName } : {}),
    ...(d.json !== undefined ? { json: d.json } : {}),
    ...(d.batchSize !== undefined ? { batchSize: d.batchSize } : {}),
    // Names imply the count: one of the two, as registration hashed it (endpoint-registration.ts).
    ...(version.classNames !== null
      ? { classNames: [...version.classNames] }
      : version.numClasses !== null
        ? { numClasses: version.numClasses }
        : {}),
  };
}

/**
 * The spec for work that sends nothing (the api's reference-model planning): header names with empty values in
 * place of the secrets. It hashes like the real spec (remoteTargetSha256 keeps header names, drops values and the
 * query string), so the cache keys planned from it are the ones the worker's jobs compute.
 */
export function redactedRemoteTargetOf(version: ModelVersionRecord): RemoteTargetSpec {
  const names = version.endpoint?.headerNames ?? [];
  return remoteTargetOf(version, { headers: Object.fromEntries(names.map((n) => [n, ''])), query: '' });
}
