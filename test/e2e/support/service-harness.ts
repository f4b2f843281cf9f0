// Starts the compiled api and worker as child processes against the real Postgres and Redis, each test
// suite in its own Postgres schema, Redis key prefix and storage directory. Nest 12 ships as ES modules,
// which jest's CommonJS runtime cannot load, so the service is exercised over HTTP exactly as deployed.
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../libs/persistence/src/data-source-options';
import {
  createTenantLogin,
  TENANT_LOGIN_BY_DEFAULT,
  type TenantLogin,
} from '../../integration/support/test-infrastructure';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = resolve(__dirname, '../../..');
export const API_ENTRY = join(ROOT, 'dist/apps/api/src/main.js');
export const WORKER_ENTRY = join(ROOT, 'dist/apps/worker/src/main.js');

export interface RunningService {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly schema: string;
  /** A direct connection to the suite's schema, to check what the service stored. */
  readonly db: DataSource;
  readonly env: NodeJS.ProcessEnv;
  /** The login role tenant transactions run on (DATABASE_TENANT_URL), when the service has one. */
  readonly tenantLoginRole?: string;
  /** The api process (its output is captured: tests check what it logged). */
  readonly api: ManagedProcess;
  readonly workers: ManagedProcess[];
  startWorker(extraEnv?: NodeJS.ProcessEnv): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

export class ManagedProcess {
  output = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }
  get pid(): number {
    return this.child.pid as number;
  }
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null)
        throw new Error(`process exited (${this.child.exitCode}) before ${pattern}: ${this.output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${this.output.slice(-2000)}`);
      await sleep(100);
    }
  }
  /** Waits for the process to end by itself, killing it (SIGKILL) after timeoutMs; resolves with how it ended. */
  async waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const ended = await this.exited;
    clearTimeout(timer);
    return ended;
  }
  /** Sends `signal`, escalating to SIGKILL after timeoutMs; resolves with how the process ended. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 20_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const ended = await this.exited;
    clearTimeout(timer);
    return ended;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function assertBuilt(): void {
  for (const entry of [API_ENTRY, WORKER_ENTRY]) {
    if (!existsSync(entry))
      throw new Error(`${entry} is missing: run \`npm run build\` before the e2e/integration suites`);
  }
}

export async function startService(
  label: string,
  opts: { worker?: boolean; env?: NodeJS.ProcessEnv; tenantLogin?: boolean } = {},
): Promise<RunningService> {
  assertBuilt();
  const id = randomBytes(4).toString('hex');
  // Tenant transactions on a login role of their own, as docker-compose deploys (default: PRIVAUDIT_TEST_TENANT_LOGIN=1).
  const login: TenantLogin | undefined =
    (opts.tenantLogin ?? TENANT_LOGIN_BY_DEFAULT) ? await createTenantLogin(label) : undefined;
  const schema = `e2e_${label}_${id}`;
  const storage = mkdtempSync(join(tmpdir(), `privaudit-${label}-`));
  const adminKey = `admin-${randomBytes(24).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    QUEUE_PREFIX: `e2e-${label}-${id}`,
    STORAGE_DIR: storage,
    PORT: '0',
    PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: adminKey,
    // Datasets are stored only sealed (docs/security.md): a fresh master key per service.
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    AUDIT_JOB_ATTEMPTS: '2',
    SHUTDOWN_GRACE_SECONDS: '5',
    // The machine's (and CI's) Redis keeps nothing on disk; suites that need persistence start their own.
    PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'true',
    // Suites poll audits quickly; the rate-limit suite sets its own limit.
    THROTTLE_LIMIT: '100000',
    ...(login ? { DATABASE_TENANT_URL: login.url } : {}),
    ...opts.env,
  };
  const api = new ManagedProcess(spawn(process.execPath, [API_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const port = (
    await api.waitFor(/listening on port (\d+)/, 60_000).catch(async (e: unknown) => {
      await login?.drop(); // a cluster-wide role must not outlive a service that never started
      throw e;
    })
  )[1];
  const workers: ManagedProcess[] = [];
  const startWorker = async (extraEnv: NodeJS.ProcessEnv = {}) => {
    const worker = new ManagedProcess(
      spawn(process.execPath, [WORKER_ENTRY], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    workers.push(worker);
    await worker.waitFor(/privaudit worker ready/, 60_000);
    return worker;
  };
  if (opts.worker !== false) await startWorker();
  const db = new DataSource(buildDataSourceOptions({ url: DATABASE_URL, schema }));
  await db.initialize();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    adminKey,
    schema,
    db,
    env,
    tenantLoginRole: login?.role,
    api,
    workers,
    startWorker,
    stop: async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await api.stop();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.destroy();
      await login?.drop();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
