/**
 * @jest-environment ./test/fixtures/onnxruntime-jest-environment.js
 */
// `privaudit audit --target-url ...` as a user runs it: main() in-process, real CSV files, real local inference
// servers in each protocol serving the same ONNX model; the report must carry the findings of `--model`.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FIXTURE_JSON_RESPONSE_PATH,
  FIXTURE_JSON_TEMPLATE,
  type InferenceServer,
  startInferenceServer,
} from '../../../test/fixtures/inference-servers';
import { leakyTargetFixture } from '../../../test/fixtures/remote-audit-fixtures';
import type { RemoteProtocol } from '../../../libs/engine/src/targets/http/remote-target-spec';
import type { AuditReport } from '../../../libs/engine/src/types';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';

jest.setTimeout(120_000);

const fixture = leakyTargetFixture();
let dir: string;
const servers: InferenceServer[] = [];

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir, env);
  return main(['node', 'privaudit', ...args], io).then((code) => ({ code, io }));
}

const dataArgs = (out: string): string[] => [
  '--members',
  'members.csv',
  '--nonmembers',
  'nonmembers.csv',
  '--label',
  'label',
  '--id-column',
  'id',
  '--attacks',
  'membership.loss,membership.confidence,membership.label-only',
  '--seed',
  '3',
  '--quiet',
  '--out',
  out,
];

function targetArgs(server: InferenceServer, protocol: RemoteProtocol): string[] {
  const common = ['--target-protocol', protocol, '--target-output', 'logits', '--allow-host', '127.0.0.1'];
  if (protocol === 'json')
    return [
      '--target-url',
      `${server.url}/predict`,
      ...common,
      '--target-json-template',
      JSON.stringify(FIXTURE_JSON_TEMPLATE),
      '--target-json-response-path',
      FIXTURE_JSON_RESPONSE_PATH,
    ];
  if (protocol === 'mlflow') return ['--target-url', server.url, ...common];
  return ['--target-url', server.url, ...common, '--target-model-name', server.modelName];
}

async function readReport(file: string): Promise<AuditReport> {
  return JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as AuditReport;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-remote-cli-'));
  await fs.writeFile(path.join(dir, 'model.onnx'), fixture.model);
  await fs.writeFile(path.join(dir, 'members.csv'), fixture.members);
  await fs.writeFile(path.join(dir, 'nonmembers.csv'), fixture.nonMembers);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fs.rm(dir, { recursive: true, force: true });
});

async function serve(protocol: RemoteProtocol, extra: { requireHeaders?: Record<string, string> } = {}) {
  const server = await startInferenceServer({
    protocol,
    model: fixture.model,
    output: 'logits',
    columns: ['f0', 'f1', 'f2', 'f3'],
    ...extra,
  });
  servers.push(server);
  return server;
}

describe('privaudit audit --target-url', () => {
  let localFindings: unknown;
  beforeAll(async () => {
    const { code, io } = await run(['audit', '--model', 'model.onnx', ...dataArgs('local.json')]);
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    localFindings = (await readReport('local.json')).findings;
  });

  it.each<RemoteProtocol>(['kserve-v2', 'tf-serving', 'mlflow', 'json'])(
    '%s: exit 0, the same findings as --model, queries in the report and on stdout',
    async (protocol) => {
      const server = await serve(protocol);
      const out = `remote-${protocol}.json`;
      const { code, io } = await run(['audit', ...targetArgs(server, protocol), ...dataArgs(out)]);
      expect(io.stderr.join('')).toBe('');
      expect(code).toBe(0);
      const report = await readReport(out);
      expect(report.findings).toEqual(localFindings);
      expect(report.target).toMatchObject({ format: 'http', endpoint: { protocol, outputKind: 'logits' } });
      expect(report.config.queries).toMatchObject({ used: server.rowsReceived, budget: 100000 });
      expect(io.stdout.join('')).toMatch(
        new RegExp(`Queries to the endpoint: ${server.rowsReceived} used of a budget of 100000`),
      );
    },
  );

  it('sends --target-header values and never prints them, not even when the endpoint refuses them', async () => {
    const server = await serve('kserve-v2', { requireHeaders: { 'x-api-key': 'k-123-secret' } });
    const ok = await run([
      'audit',
      ...targetArgs(server, 'kserve-v2'),
      '--target-header',
      'X-Api-Key: k-123-secret',
      ...dataArgs('auth.json'),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.stringify(await readReport('auth.json'))).not.toContain('k-123-secret');
    expect(ok.io.stdout.join('')).not.toContain('k-123-secret');
    const refused = await run([
      'audit',
      ...targetArgs(server, 'kserve-v2'),
      '--target-header',
      'X-Api-Key: wrong-secret-value',
      ...dataArgs('refused.json'),
    ]);
    expect(refused.code).toBe(1);
    const stderr = refused.io.stderr.join('');
    expect(stderr).toMatch(/^privaudit: error: remote target 127\.0\.0\.1:\d+: answered HTTP 401/);
    expect(stderr).not.toContain('wrong-secret-value');
  });

  it('--target-header-from-env reads the secret from the environment', async () => {
    const server = await serve('tf-serving', { requireHeaders: { authorization: 'Bearer from-env-secret' } });
    const ok = await run(
      [
        'audit',
        ...targetArgs(server, 'tf-serving'),
        '--target-header-from-env',
        'Authorization: API_TOKEN',
        ...dataArgs('env.json'),
      ],
      { API_TOKEN: 'Bearer from-env-secret' },
    );
    expect(ok.io.stderr.join('')).toBe('');
    expect(ok.code).toBe(0);
    const missing = await run([
      'audit',
      ...targetArgs(server, 'tf-serving'),
      '--target-header-from-env',
      'Authorization: API_TOKEN',
      ...dataArgs('env2.json'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.io.stderr.join('')).toMatch(/environment variable API_TOKEN \(header Authorization\) is not set/);
  });

  it('--model and --target-url together, or neither, is a usage error (exit 2)', async () => {
    const server = await serve('kserve-v2');
    const both = await run([
      'audit',
      '--model',
      'model.onnx',
      ...targetArgs(server, 'kserve-v2'),
      ...dataArgs('x.json'),
    ]);
    expect(both.code).toBe(2);
    expect(both.io.stderr.join('')).toMatch(/--model and --target-url are mutually exclusive/);
    const neither = await run(['audit', ...dataArgs('x.json')]);
    expect(neither.code).toBe(2);
    expect(neither.io.stderr.join('')).toMatch(/one of '--model <file.onnx>' or '--target-url <url>' is required/);
    const orphan = await run(['audit', '--model', 'model.onnx', '--query-budget', '5', ...dataArgs('x.json')]);
    expect(orphan.code).toBe(2);
    expect(orphan.io.stderr.join('')).toMatch(/--query-budget applies to a remote target/);
    expect(server.requests).toBe(0);
  });

  it('a budget below the plan, and loopback without --allow-host, are refused before any request', async () => {
    const server = await serve('kserve-v2');
    const budget = await run([
      'audit',
      ...targetArgs(server, 'kserve-v2'),
      '--query-budget',
      '100',
      ...dataArgs('b.json'),
    ]);
    expect(budget.code).toBe(1);
    expect(budget.io.stderr.join('')).toMatch(/needs 5880 queries but the query budget leaves 100/);
    const args = targetArgs(server, 'kserve-v2').filter((a) => a !== '--allow-host' && a !== '127.0.0.1');
    const http = await run(['audit', ...args, ...dataArgs('c.json')]);
    expect(http.code).toBe(1);
    expect(http.io.stderr.join('')).toMatch(/refused: https is required/);
    const https = await run(['audit', ...args.map((a) => a.replace('http://', 'https://')), ...dataArgs('c.json')]);
    expect(https.io.stderr.join('')).toMatch(/refused: it is a loopback address/);
    const decimal = await run([
      'audit',
      ...args.map((a) => a.replace('http://127.0.0.1', 'https://2130706433')),
      ...dataArgs('c.json'),
    ]);
    expect(decimal.io.stderr.join('')).toMatch(/refused: it is a loopback address/);
    expect(server.requests).toBe(0);
  });

  it('--dry-run prints the planned queries and the budget, and sends nothing', async () => {
    const server = await serve('kserve-v2');
    const { code, io } = await run([
      'audit',
      ...targetArgs(server, 'kserve-v2'),
      ...dataArgs('d.json'),
      '--dry-run',
      '--query-budget',
      '1000',
    ]);
    expect(code).toBe(0);
    expect(io.stdout.join('')).toMatch(
      /queries to the endpoint: at most 5880 \(120 audited records, 5760 for membership.label-only\), budget 1000: the audit would be refused/,
    );
    expect(server.requests).toBe(0);
  });
});
