// A Redis restart with the append-only file on, while one audit is running and another is queued behind it.
// The suite starts its own redis-server in a temp dir (the machine's Redis keeps nothing on disk and serves
// other suites): the api and worker start against it without the test-only persistence override, the
// server is shut down and started again on the same files, and both audits end exactly once, succeeded.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { RunningService, sleep } from '../e2e/support/service-harness';
import {
  auditRow,
  commission,
  ended,
  expectEndedExactlyOnce,
  ONE_SLOW_REFERENCE_MODEL,
  startFaultService,
  uploadDigits,
  waitForAudit,
  waitForAuditChild,
} from './support/fault-harness';

jest.setTimeout(300_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Our own redis-server with AOF (fsync on every write), restartable on the same port and files. */
class OwnRedis {
  private server?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'privaudit-faults-redis-'));
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    args.push('--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction');
    this.server = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      const pong = await c
        .connect()
        .then(() => c.ping())
        .catch(() => null);
      c.disconnect();
      if (pong === 'PONG') return;
      if (Date.now() > deadline) throw new Error('own redis-server did not start');
      await sleep(100);
    }
  }

  /** SIGTERM: Redis flushes the AOF and exits, as on a restart by its supervisor. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('Redis restarted with AOF on', () => {
  let redis: OwnRedis;
  let svc: RunningService;
  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    svc = await startFaultService('faultredis', {
      REDIS_URL: redis.url,
      // The real start-up check: this Redis persists, so no override is needed.
      PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'false',
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await redis?.remove();
  });

  it('a running and a queued audit both end once, succeeded, after the restart', async () => {
    const slowIds = await uploadDigits(svc, true);
    const quickIds = await uploadDigits(svc, false);
    const worker = await svc.startWorker();
    const running = await commission(svc, slowIds, { ...ONE_SLOW_REFERENCE_MODEL, seed: 104 });
    await waitForAuditChild(worker.pid);
    const queued = await commission(svc, quickIds, { attacks: ['membership.loss'] });
    expect((await auditRow(svc, queued)).status).toBe('queued');

    expect((await auditRow(svc, running)).status).toBe('running');
    await redis.stop();
    await sleep(1000);
    await redis.start();

    for (const id of [running, queued]) {
      expect(await waitForAudit(svc, id, ended, 180_000)).toMatchObject({ status: 'succeeded', failure_reason: null });
      await expectEndedExactlyOnce(svc, id);
    }
    expect(worker.child.exitCode).toBeNull(); // the worker rode out the restart
  });
});
