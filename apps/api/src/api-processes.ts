// API_PROCESSES > 1: the api runs as a node:cluster primary that forks that many api processes sharing PORT (the
// primary accepts connections and hands them out in turn), restarts one that dies, and stops them all on SIGTERM or
// SIGINT. It holds no state and serves nothing itself: everything the processes share lives in Postgres and Redis,
// as between api replicas (API-key cache invalidation, rate-limit buckets, migrations under an advisory lock).
import cluster, { type Worker } from 'node:cluster';

/** More restarts than this within RESTART_WINDOW_MS is a crash loop: the primary stops instead of forking again. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export interface ApiPrimaryOptions {
  readonly processes: number;
  /** How long stopping processes may take (their graceful shutdown) before they are killed. */
  readonly stopTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** The signals the primary relays to its processes as SIGTERM (they ignore SIGINT themselves: see apiProcessSignals). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Signals an api process shuts down on. A process of a cluster leaves SIGINT to its primary, which relays it as
 * SIGTERM: Ctrl-C in a terminal reaches every process of the group, and a second signal during Nest's shutdown
 * hooks would kill the process before it finished its requests.
 */
export function apiProcessSignals(): NodeJS.Signals[] | undefined {
  if (!cluster.isWorker) return undefined; // Nest's default: every signal
  process.on('SIGINT', () => undefined);
  return ['SIGTERM'];
}

export function runApiPrimary(opts: ApiPrimaryOptions): void {
  const listened = new Set<number>();
  let restarts: number[] = [];
  let stopping: { signal: NodeJS.Signals | null; code: number } | null = null;

  const alive = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const finish = () => {
    if (!stopping || alive().length > 0) return;
    if (stopping.signal) {
      // Ends by the signal it was given, as a single api process does (Nest re-raises it).
      for (const s of STOP_SIGNALS) process.removeAllListeners(s);
      process.kill(process.pid, stopping.signal);
    } else process.exit(stopping.code);
  };
  const stopAll = (signal: NodeJS.Signals | null, code: number) => {
    if (stopping) return;
    stopping = { signal, code };
    for (const w of alive()) w.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of alive()) w.process.kill('SIGKILL');
    }, opts.stopTimeoutMs).unref();
    finish();
  };

  cluster.on('listening', (w) => listened.add(w.id));
  cluster.on('exit', (w, code, signal) => {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (stopping) return finish();
    if (!listened.has(w.id)) {
      // It never served: a start-up failure (Redis, Postgres, migrations), which another fork would repeat.
      opts.log(`an api process ended during start-up (${how}); stopping the others`);
      return stopAll(null, code || 1);
    }
    const now = Date.now();
    restarts = [...restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (restarts.length > MAX_RESTARTS) {
      opts.log(`api processes ended ${restarts.length} times within ${RESTART_WINDOW_MS / 1000} s; stopping`);
      return stopAll(null, 1);
    }
    opts.log(`api process ${w.process.pid} ended (${how}); starting another`);
    cluster.fork();
  });
  for (const s of STOP_SIGNALS) process.on(s, () => stopAll(s, 0));

  opts.log(`starting ${opts.processes} api processes (API_PROCESSES)`);
  for (let i = 0; i < opts.processes; i++) cluster.fork();
}

/** Whether this process should be the cluster's primary rather than serve. */
export function isApiPrimary(processes: number): boolean {
  return processes > 1 && cluster.isPrimary;
}
