// The process that opens an untrusted model, as the worker starts it (the real supervisor, the real sandbox):
// what it can see (environment, files, network, limits), and what happens when a model tries to take the
// host's memory. Needs dist/ (npm test builds it first).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeMemoryBomb, softmaxMlpOnnx, tinyRandomMlp } from '../../../test/fixtures/onnx-fixtures';
import type { AuditChildInput } from './audit-child-messages';
import { AuditChildFailure, runAuditInChild } from './audit-child-process';
import { type ChildSandboxOptions, hostCapabilities } from './model-sandbox';

jest.setTimeout(120_000);

const PROBE = join(__dirname, '../../../test/fixtures/sandbox-probe-child.js');
const SANDBOX: ChildSandboxOptions = { addressSpaceMb: 4096, cpuSeconds: 600, isolateNetwork: true, nice: 10 };

interface ProbeReport {
  envKeys: string[];
  cwd: string;
  cwdEntries: string[];
  readMembers: string;
  readSecret: string;
  writeOutside: string;
  addressSpaceLine: string;
  cpuLine: string;
  network: string;
  wasm: string;
  worker: string;
  nice: number;
  workerNice: number | string;
}

let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'privaudit-sandbox-spec-'));
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function auditInput(files: { model: string; members: string; nonMembers: string }, probe?: object): AuditChildInput {
  return {
    modelPath: files.model,
    members: { path: files.members, name: 'members.csv' },
    nonMembers: { path: files.nonMembers, name: 'nonmembers.csv' },
    labelColumn: probe ? JSON.stringify(probe) : 'label',
    seed: 1,
    maxModelBytes: 10 * 1024 * 1024,
    attacks: ['membership.loss'],
  };
}

async function probe(input: AuditChildInput, sandbox = SANDBOX): Promise<ProbeReport> {
  return (await runAuditInChild(input, {
    memoryLimitMb: 256,
    sandbox,
    entry: PROBE,
    timeoutMs: 60_000,
    signal: new AbortController().signal,
    onProgress: () => undefined,
  })) as unknown as ProbeReport;
}

function csv(rows: number, seed: number): string {
  const lines = ['f0,f1,f2,f3,label'];
  for (let i = 0; i < rows; i++) {
    const x = [0, 1, 2, 3].map((j) => Math.sin(seed * 7 + i * 3 + j).toFixed(4));
    lines.push(`${x.join(',')},${i % 3}`);
  }
  return lines.join('\n') + '\n';
}

describe('the model process sandbox', () => {
  it('sees no secret of the worker, only its audit files, an empty directory of its own and no network', async () => {
    const files = {
      model: join(dir, 'model.onnx'),
      members: join(dir, 'members.csv'),
      nonMembers: join(dir, 'nonmembers.csv'),
    };
    writeFileSync(files.model, softmaxMlpOnnx(tinyRandomMlp(1)));
    writeFileSync(files.members, csv(40, 1));
    writeFileSync(files.nonMembers, csv(40, 2));
    const secretPath = join(dir, 'another-audits-data.csv');
    writeFileSync(secretPath, 'id,label\n1,0\n');
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: 'postgres://u:pw@db/x',
      REDIS_URL: 'redis://:pw@redis:6379',
      PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: 'k'.repeat(40),
      SECRETS_ENCRYPTION_KEY: 'c2VjcmV0',
    });
    let report: ProbeReport;
    try {
      report = await probe(auditInput(files, { secretPath, writePath: join(dir, 'planted.txt'), port }));
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    }
    // Only harmless variables (and Node's IPC channel descriptor) reach the child.
    for (const key of report.envKeys) {
      expect([
        'PATH',
        'LANG',
        'LC_ALL',
        'TZ',
        'NODE_ENV',
        'NODE_CHANNEL_FD',
        'NODE_CHANNEL_SERIALIZATION_MODE',
      ]).toContain(key);
    }
    expect(report.cwd).not.toBe(process.cwd());
    expect(report.cwdEntries).toEqual([]);
    expect(report.readMembers).toBe('yes');
    expect(report.readSecret).toBe('ERR_ACCESS_DENIED');
    expect(report.worker).toBe('ok'); // reference models train in worker threads
    // Training runs below the priority of the api, Postgres and Redis on a shared host (AUDIT_CHILD_NICE), in every
    // thread; the nice command is in coreutils, so this host has it.
    expect(hostCapabilities().nice).toBe(true);
    const niced = Math.min(19, 10 + os.getPriority());
    expect([report.nice, report.workerNice]).toEqual([niced, niced]);
    expect(report.writeOutside).toBe('ERR_ACCESS_DENIED');
    if (hostCapabilities().unshareNet) expect(report.network).not.toBe('connected');
    else expect(report.network).toBe('connected'); // documented: no network namespace on this host
  });

  it('runs under the configured address-space and CPU limits', async () => {
    if (!hostCapabilities().prlimit) return; // documented: limits need util-linux prlimit
    const report = await probe(
      auditInput(
        { model: join(dir, 'model.onnx'), members: '/proc/self/limits', nonMembers: join(dir, 'x.csv') },
        {
          secretPath: '/nonexistent',
          writePath: join(dir, 'y'),
          port,
        },
      ),
      { addressSpaceMb: 4096, cpuSeconds: 77, isolateNetwork: false, nice: 0 },
    );
    expect(report.addressSpaceLine.split(/\s+/).slice(3, 5)).toEqual([
      String(4096 * 1024 * 1024),
      String(4096 * 1024 * 1024),
    ]);
    expect(report.cpuLine.split(/\s+/).slice(3, 5)).toEqual(['77', '77']);
    expect(report.network).toBe('connected'); // isolation off: the remote-endpoint case
    expect(report.nice).toBe(os.getPriority()); // AUDIT_CHILD_NICE=0: the worker's own priority
    // WebAssembly memories (undici's HTTP parser) still instantiate under the address-space limit.
    expect(report.wasm).toBe('ok');
  });

  it('fails an audit whose model inflates a tensor at run time with MODEL_RESOURCE_LIMIT, and the worker lives on', async () => {
    if (!hostCapabilities().prlimit) return; // without an address-space limit this model would take the host's memory
    const files = {
      model: join(dir, 'bomb.onnx'),
      members: join(dir, 'bomb-members.csv'),
      nonMembers: join(dir, 'bomb-nonmembers.csv'),
    };
    // 4 features x 16000 per side: a 64000 x 64000 float tensor (16 GB), computed from the input's shape, so no
    // static check can see it.
    writeFileSync(files.model, runtimeMemoryBomb(softmaxMlpOnnx(tinyRandomMlp(2)), 16_000));
    writeFileSync(files.members, csv(40, 3));
    writeFileSync(files.nonMembers, csv(40, 4));
    let error: unknown;
    try {
      await runAuditInChild(auditInput(files), {
        memoryLimitMb: 512,
        sandbox: { ...SANDBOX },
        timeoutMs: 90_000,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuditChildFailure);
    expect((error as AuditChildFailure).code).toBe('MODEL_RESOURCE_LIMIT');
    expect((error as AuditChildFailure).reason).toMatch(/memory/);
  });
});
