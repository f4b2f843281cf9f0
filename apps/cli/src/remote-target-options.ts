// The CLI's remote-target options (--target-url and friends) -> the engine's RemoteTargetSpec and outbound
// options. Header values are secrets: parsed here, never printed (errors name the header, not its value).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AuditOutboundOptions } from '../../../libs/engine/src/audit/audit-request';
import {
  parseRemoteTargetSpec,
  REMOTE_PROTOCOLS,
  type RemoteProtocol,
  type RemoteTargetSpec,
} from '../../../libs/engine/src/targets/http/remote-target-spec';
import type { OutputKind } from '../../../libs/engine/src/types';
import { InputError, UsageError } from './cli-errors';

export interface RemoteTargetCommandOptions {
  readonly url: string;
  readonly protocol?: string;
  /** "Name: value" as typed (repeatable). */
  readonly headers?: readonly string[];
  /** "Name: VARIABLE": the header's value read from the environment, so it never appears in a process list. */
  readonly headersFromEnv?: readonly string[];
  readonly output?: string;
  readonly modelName?: string;
  readonly inputName?: string;
  /** A JSON text, or @file holding it. */
  readonly jsonTemplate?: string;
  readonly jsonResponsePath?: string;
  readonly batchSize?: number;
}

export interface OutboundCommandOptions {
  readonly allowHosts?: readonly string[];
  readonly queryBudget?: number;
  readonly ownershipToken?: string;
}

const OUTPUT_KINDS: readonly OutputKind[] = ['probabilities', 'logits', 'labels'];

/** "Name: value" -> [name, value]; the message names the option and the header, never the value. */
export function parseHeaderOption(typed: string): [string, string] {
  const colon = typed.indexOf(':');
  const name = colon > 0 ? typed.slice(0, colon).trim() : '';
  if (colon <= 0 || name === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`--target-header must be "Name: value" with a valid header name`);
  }
  return [name, typed.slice(colon + 1).trim()];
}

export async function remoteTargetSpecFromOptions(
  o: RemoteTargetCommandOptions,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RemoteTargetSpec> {
  if (o.protocol === undefined)
    throw new UsageError(`--target-url needs --target-protocol (${REMOTE_PROTOCOLS.join('|')})`);
  if (!(REMOTE_PROTOCOLS as readonly string[]).includes(o.protocol))
    throw new UsageError(`--target-protocol must be one of ${REMOTE_PROTOCOLS.join(', ')}`);
  if (o.output !== undefined && !(OUTPUT_KINDS as readonly string[]).includes(o.output))
    throw new UsageError(`--target-output must be one of ${OUTPUT_KINDS.join(', ')}`);
  const headers: Record<string, string> = {};
  for (const h of o.headers ?? []) {
    const [name, value] = parseHeaderOption(h);
    headers[name] = value;
  }
  for (const h of o.headersFromEnv ?? []) {
    const [name, variable] = parseHeaderOption(h);
    const value = env[variable];
    if (value === undefined || value === '')
      throw new UsageError(
        `--target-header-from-env: the environment variable ${variable} (header ${name}) is not set`,
      );
    headers[name] = value;
  }
  const protocol = o.protocol as RemoteProtocol;
  if (protocol === 'json' && (o.jsonTemplate === undefined || o.jsonResponsePath === undefined))
    throw new UsageError('--target-protocol json needs --target-json-template and --target-json-response-path');
  if (protocol !== 'json' && (o.jsonTemplate !== undefined || o.jsonResponsePath !== undefined))
    throw new UsageError('--target-json-template and --target-json-response-path apply to --target-protocol json only');
  let requestTemplate: unknown;
  if (o.jsonTemplate !== undefined) {
    const text = o.jsonTemplate.startsWith('@')
      ? await fs.readFile(path.resolve(cwd, o.jsonTemplate.slice(1)), 'utf8').catch(() => {
          throw new InputError(`--target-json-template: cannot read ${o.jsonTemplate?.slice(1)}`);
        })
      : o.jsonTemplate;
    try {
      requestTemplate = JSON.parse(text);
    } catch {
      throw new InputError('--target-json-template: not valid JSON');
    }
  }
  return parseRemoteTargetSpec(
    {
      url: o.url,
      protocol,
      headers,
      ...(o.output !== undefined ? { output: o.output } : {}),
      ...(o.modelName !== undefined ? { modelName: o.modelName } : {}),
      ...(o.inputName !== undefined ? { inputName: o.inputName } : {}),
      ...(protocol === 'json' ? { json: { requestTemplate, responsePath: o.jsonResponsePath } } : {}),
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    },
    '--target-url',
  );
}

export function outboundFromOptions(o: OutboundCommandOptions): AuditOutboundOptions {
  return {
    ...(o.allowHosts && o.allowHosts.length > 0 ? { allowHosts: [...o.allowHosts] } : {}),
    ...(o.queryBudget !== undefined ? { queryBudget: o.queryBudget } : {}),
    ...(o.ownershipToken !== undefined ? { ownershipToken: o.ownershipToken } : {}),
  };
}
