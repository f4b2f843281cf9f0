// A black-box prediction endpoint under audit (issue 7): where it is, which protocol it speaks, how to
// authenticate and what its answers hold. The spec is untrusted JSON (a service request, a CLI file): parsed
// with zod, and an error names the field, never its value (headers carry secrets).

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EngineError, EngineErrorCode } from '../../errors';
import type { OutputKind } from '../../types';

export type RemoteProtocol = 'kserve-v2' | 'tf-serving' | 'mlflow' | 'json';
export const REMOTE_PROTOCOLS: readonly RemoteProtocol[] = ['kserve-v2', 'tf-serving', 'mlflow', 'json'];

/** The placeholder a JSON request template holds where the batch's rows go (an array of feature arrays). */
export const JSON_ROWS_PLACEHOLDER = '$rows';
/** The placeholder for one row (an array of features): the adapter then sends one row per request. */
export const JSON_ROW_PLACEHOLDER = '$row';

/**
 * The generic JSON adapter: `requestTemplate` is any JSON value with exactly one string `"$rows"` (replaced by
 * the batch, an array of rows of numbers) or `"$row"` (one row per request); `responsePath` is a dot path into
 * the answer (`predictions`, `outputs.0.data`, `result.scores`) reaching an array with one entry per row (an
 * array of class scores, or a class index for labels) or, with `"$row"`, that one row's entry.
 */
export interface JsonAdapterOptions {
  readonly requestTemplate: unknown;
  readonly responsePath: string;
}

export interface RemoteTargetSpec {
  /**
   * The endpoint. kserve-v2: the server's base URL (the adapter appends `/v2/models/{modelName}/infer`) or the
   * full infer URL; tf-serving: the base URL (appends `/v1/models/{modelName}:predict`) or the full predict URL;
   * mlflow: the base URL (appends `/invocations`) or the full one; json: the exact URL posted to.
   */
  readonly url: string;
  readonly protocol: RemoteProtocol;
  /** Sent with every request (auth). Secrets: never logged, printed, returned or hashed into the report. */
  readonly headers: Readonly<Record<string, string>>;
  /** What the answers hold: class probabilities (default), logits, or class indices only. */
  readonly output: OutputKind;
  /** kserve-v2 / tf-serving: the served model's name (needed unless the URL is the full infer/predict URL). */
  readonly modelName?: string;
  /** kserve-v2: the input tensor's name (default 'input'); mlflow: unused (columns come from the CSV header). */
  readonly inputName?: string;
  /** Required for protocol 'json'. */
  readonly json?: JsonAdapterOptions;
  /** Classes the endpoint distinguishes (needed for labels; else the answers' width is checked against it). */
  readonly numClasses?: number;
  /** Class names in class-index order (imply numClasses). */
  readonly classNames?: readonly string[];
  /** Rows per request (default per protocol, see adapters); 1 for a `"$row"` JSON template. */
  readonly batchSize?: number;
}

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const specSchema = z
  .object({
    url: z.string().min(1).max(2048),
    protocol: z.enum(['kserve-v2', 'tf-serving', 'mlflow', 'json']),
    headers: z
      .record(
        z.string().regex(headerName),
        z
          .string()
          .max(8192)
          .regex(/^[^\r\n\0]*$/),
      )
      .optional()
      .default({}),
    output: z.enum(['probabilities', 'logits', 'labels']).optional().default('probabilities'),
    modelName: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    inputName: z.string().min(1).max(256).optional(),
    json: z
      .object({
        requestTemplate: z.unknown(),
        responsePath: z.string().max(512),
      })
      .strict()
      .optional(),
    numClasses: z.number().int().min(2).max(100_000).optional(),
    classNames: z.array(z.string().min(1).max(256)).min(2).max(100_000).optional(),
    batchSize: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/** The field a zod issue is about, as a dotted path; header names are field names, never values. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(spec)' : path.map(String).join('.');
}

function countPlaceholders(value: unknown): { rows: number; row: number } {
  if (value === JSON_ROWS_PLACEHOLDER) return { rows: 1, row: 0 };
  if (value === JSON_ROW_PLACEHOLDER) return { rows: 0, row: 1 };
  let rows = 0;
  let row = 0;
  if (Array.isArray(value) || (value !== null && typeof value === 'object')) {
    for (const v of Object.values(value as Record<string, unknown>)) {
      const c = countPlaceholders(v);
      rows += c.rows;
      row += c.row;
    }
  }
  return { rows, row };
}

/**
 * Parses a remote target spec (an object already decoded from JSON). `source` names where it came from
 * ("--target-url", "request body field remoteTarget") for the message. Throws EngineError INVALID_TARGET_SPEC
 * naming the field, never its value.
 */
export function parseRemoteTargetSpec(json: unknown, source: string): RemoteTargetSpec {
  const parsed = specSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = fieldOf(issue?.path ?? []);
    const why =
      issue?.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.join(', ')}`
        : issue?.code === 'invalid_value'
          ? `must be one of ${issue.values.map(String).join(', ')}`
          : (issue?.message ?? 'invalid');
    throw new EngineError(EngineErrorCode.InvalidTargetSpec, `${source}: remote target field '${field}': ${why}`);
  }
  const spec = parsed.data;
  const fail = (field: string, why: string): never => {
    throw new EngineError(EngineErrorCode.InvalidTargetSpec, `${source}: remote target field '${field}': ${why}`);
  };
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    return fail('url', 'is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('url', 'must be an http(s) URL');
  if (url.username !== '' || url.password !== '') fail('url', 'must not carry credentials (use headers)');
  if (url.hash !== '') fail('url', 'must not carry a fragment');
  if (spec.protocol === 'json') {
    if (spec.json === undefined) fail('json', "is required for protocol 'json' (requestTemplate and responsePath)");
    const c = countPlaceholders(spec.json?.requestTemplate);
    if (c.rows + c.row !== 1)
      fail(
        'json.requestTemplate',
        `must hold exactly one "${JSON_ROWS_PLACEHOLDER}" or "${JSON_ROW_PLACEHOLDER}" string`,
      );
  } else if (spec.json !== undefined) {
    fail('json', `applies to protocol 'json' only`);
  }
  if (spec.numClasses !== undefined && spec.classNames !== undefined && spec.classNames.length !== spec.numClasses)
    fail('classNames', `names ${spec.classNames.length} classes but numClasses is ${spec.numClasses}`);
  if (spec.classNames !== undefined && new Set(spec.classNames).size !== spec.classNames.length)
    fail('classNames', 'holds a class name twice');
  if (spec.output === 'labels' && spec.numClasses === undefined && spec.classNames === undefined) {
    // Resolved later from the request (--num-classes, --classes or the data's labels): not an error here.
  }
  return {
    url: url.href,
    protocol: spec.protocol,
    headers: spec.headers,
    output: spec.output,
    ...(spec.modelName !== undefined ? { modelName: spec.modelName } : {}),
    ...(spec.inputName !== undefined ? { inputName: spec.inputName } : {}),
    ...(spec.json !== undefined
      ? { json: { requestTemplate: spec.json.requestTemplate, responsePath: spec.json.responsePath } }
      : {}),
    ...(spec.numClasses !== undefined ? { numClasses: spec.numClasses } : {}),
    ...(spec.classNames !== undefined ? { classNames: spec.classNames } : {}),
    ...(spec.batchSize !== undefined ? { batchSize: spec.batchSize } : {}),
  };
}

/** The URL without credentials, query string or fragment: what a report or a message may show. */
export function displayEndpoint(url: string): { origin: string; path: string } {
  const u = new URL(url);
  return { origin: u.origin, path: u.pathname };
}

/** Deterministic JSON (sorted object keys) of a value. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The report's `target.sha256` for an endpoint: sha256 of the canonical JSON (sorted keys) of the spec WITHOUT
 * secrets: header names are kept (which auth scheme) but their values dropped, and the URL's query string (which
 * may hold an API key) is dropped. Two audits of the same endpoint, protocol and output kind hash alike whatever
 * credentials they used.
 */
export function remoteTargetSha256(spec: RemoteTargetSpec): string {
  const u = new URL(spec.url);
  const publicSpec = {
    url: `${u.origin}${u.pathname}`,
    protocol: spec.protocol,
    headerNames: Object.keys(spec.headers)
      .map((h) => h.toLowerCase())
      .sort(),
    output: spec.output,
    modelName: spec.modelName,
    inputName: spec.inputName,
    json: spec.json,
    numClasses: spec.numClasses,
    classNames: spec.classNames,
  };
  return createHash('sha256').update(canonicalJson(publicSpec)).digest('hex');
}
