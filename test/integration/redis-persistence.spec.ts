// The Redis persistence start-up check against private redis-server processes (never the shared one, whose
// settings other suites rely on), and the api refusing to start on a Redis that keeps nothing on disk.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { assertRedisPersistence } from '../../libs/queue/src/redis-persistence';
import { API_ENTRY, assertBuilt, DATABASE_URL, ManagedProcess } from '../e2e/support/service-harness';
import { freePort } from '../fixtures/free-port';

jest.setTimeout(60_000);

async function startRedis(dir: string, persistence: string[]): Promise<{ url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--maxmemory-policy', 'noeviction', ...persistence],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    const ok = await c
      .connect()
      .then(() => c.ping())
      .catch(() => null);
    c.disconnect();
    if (ok === 'PONG') return { url, server };
    if (Date.now() > deadline) throw new Error('private redis-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('assertRedisPersistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privaudit-redis-persistence-'));
  const servers: ChildProcess[] = [];
  const start = async (persistence: string[]) => {
    const s = await startRedis(dir, persistence);
    servers.push(s.server);
    return s.url;
  };
  afterAll(() => {
    for (const s of servers) s.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a Redis with neither AOF nor RDB save points, and says what to set', async () => {
    const url = await start(['--save', '', '--appendonly', 'no']);
    await expect(assertRedisPersistence(url, { allowWithout: false })).rejects.toThrow(
      /keeps nothing on disk.*--appendonly yes/,
    );
  });

  it('lets the test-only override through, with a warning', async () => {
    const url = await start(['--save', '', '--appendonly', 'no']);
    const warnings: string[] = [];
    await expect(assertRedisPersistence(url, { allowWithout: true, warn: (m) => warnings.push(m) })).resolves.toEqual({
      appendOnly: false,
      savePoints: '',
    });
    expect(warnings).toEqual([expect.stringMatching(/PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE \(tests only\)/)]);
  });

  it('accepts the append-only file', async () => {
    const url = await start(['--save', '', '--appendonly', 'yes', '--appendfilename', 'aof-test.aof']);
    await expect(assertRedisPersistence(url, { allowWithout: false })).resolves.toMatchObject({ appendOnly: true });
  });

  it('accepts RDB save points', async () => {
    const url = await start(['--save', '60 1', '--appendonly', 'no', '--dbfilename', 'rdb-test.rdb']);
    await expect(assertRedisPersistence(url, { allowWithout: false })).resolves.toEqual({
      appendOnly: false,
      savePoints: '60 1',
    });
  });

  it('the api refuses to start on a Redis without persistence', async () => {
    assertBuilt();
    const url = await start(['--save', '', '--appendonly', 'no']);
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL,
      DATABASE_SCHEMA: 'public',
      REDIS_URL: url,
      PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const refused = new ManagedProcess(
      spawn(process.execPath, [API_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    await refused.waitFor(/privaudit api failed to start: Redis keeps nothing on disk/, 30_000).catch(() => undefined);
    expect(refused.output).toMatch(/privaudit api failed to start: Redis keeps nothing on disk/);
    // It exits by itself: waiting (not signalling) avoids racing a SIGTERM against its own exit after the message.
    expect(await refused.waitForExit(30_000)).toEqual({ code: 1, signal: null });
  });
});
