// A redis-server of the suite's own, in a temp dir on a free port (the machine's Redis serves other suites and
// must never be restarted or filled): restartable on the same port and files, with AOF on or off.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { sleep } from '../../e2e/support/service-harness';
import { freePort } from '../../fixtures/free-port';

export class OwnRedis {
  private server?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'privaudit-faults-redis-'));
  constructor(
    readonly port: number,
    /** AOF with fsync on every write (a restart loses nothing), or nothing on disk. */
    readonly persistence: 'aof' | 'none' = 'aof',
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(persistence: 'aof' | 'none' = 'aof'): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), persistence);
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--maxmemory-policy', 'noeviction');
    if (this.persistence === 'aof') args.push('--appendonly', 'yes', '--appendfsync', 'always');
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
