// API_PROCESSES > 1 (apps/api/src/api-processes.ts): the api as a node:cluster primary with that many processes on one
// port. They serve, a process that dies is replaced while the others keep answering, SIGTERM stops them all, and a
// start-up failure stops the primary instead of forking again and again.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { createModel } from './support/service-requests';
import {
  API_ENTRY,
  DATABASE_URL,
  ManagedProcess,
  type RunningService,
  sleep,
  startService,
} from './support/service-harness';

jest.setTimeout(180_000);

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Polls (bounded) until `pid` has `n` child processes, none of them in `gone`; returns them. */
async function waitForChildren(pid: number, n: number, what: string, gone: number[] = []): Promise<number[]> {
  for (let i = 0; i < 300; i++) {
    const children = childrenOf(pid);
    if (children.length === n && !children.some((c) => gone.includes(c))) return children;
    await sleep(100);
  }
  throw new Error(
    `${what}: the api has processes ${childrenOf(pid).join(', ')}, expected ${n} without ${gone.join(', ')}`,
  );
}

async function listeningLines(svc: RunningService, n: number): Promise<void> {
  for (let i = 0; i < 600 && (svc.api.output.match(/listening on port/g)?.length ?? 0) < n; i++) await sleep(100);
  expect(svc.api.output.match(/listening on port/g)?.length).toBeGreaterThanOrEqual(n);
}

describe('api with API_PROCESSES=2', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService('api_procs', { worker: false, env: { API_PROCESSES: '2' } });
    await listeningLines(svc, 2);
  });
  afterAll(async () => svc?.stop());

  it('serves from two processes on one port, and replaces one that dies while the other answers', async () => {
    const [first, second] = await waitForChildren(svc.api.pid, 2, 'after start-up');
    // Each request on a new connection: the primary hands connections to its processes in turn.
    for (let i = 0; i < 6; i++) {
      await request(svc.baseUrl).get('/models').set('x-api-key', svc.adminKey).set('connection', 'close').expect(200);
    }

    process.kill(first as number, 'SIGKILL');
    const after = await waitForChildren(svc.api.pid, 2, 'after a process was killed', [first as number]);
    expect(after).toContain(second);
    expect(svc.api.output).toMatch(new RegExp(`api process ${first} ended \\(signal SIGKILL\\); starting another`));
    await listeningLines(svc, 3);
    // Writes and reads go on through either process.
    for (let i = 0; i < 6; i++) {
      const id = await createModel(svc, `after-restart-${i}`);
      await request(svc.baseUrl)
        .get(`/models/${id}`)
        .set('x-api-key', svc.adminKey)
        .set('connection', 'close')
        .expect(200);
    }
  });

  it('stops every process on SIGTERM, ending by that signal', async () => {
    const children = await waitForChildren(svc.api.pid, 2, 'before SIGTERM');
    const ended = await svc.api.stop('SIGTERM');
    expect(ended).toEqual({ code: null, signal: 'SIGTERM' });
    for (const pid of children) expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});

describe('api with API_PROCESSES=2 that cannot start', () => {
  it('stops with an error instead of forking again when its processes fail at start-up', async () => {
    const api = new ManagedProcess(
      spawn(process.execPath, [API_ENTRY], {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL,
          // Nothing listens on port 1: every process fails its Redis start-up check.
          REDIS_URL: 'redis://127.0.0.1:1',
          PORT: '0',
          API_PROCESSES: '2',
          DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const ended = await api.waitForExit(120_000);
    expect(ended.signal).toBeNull();
    expect(ended.code).not.toBe(0);
    expect(api.output).toMatch(/an api process ended during start-up \(code \d+\); stopping the others/);
    // One round of forks only.
    expect(api.output.match(/starting 2 api processes/g)).toHaveLength(1);
    expect(api.output).not.toMatch(/starting another/);
  });
});
