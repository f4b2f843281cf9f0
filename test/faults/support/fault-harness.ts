// What every fault-injection scenario shares: the service started with short locks and a fast repair loop,
// audits commissioned over HTTP, worker children found by parent pid (never by name), and the one assertion
// of the suite: every audit ends in exactly one final state, with no duplicate findings or reference models.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import request from 'supertest';
import { QueueName } from '../../../libs/queue/src/queue-names';
import { digitsCsv, digitsModelOnnx } from '../../e2e/support/audit-fixtures';
import { uploadAuditInputs, type UploadedAuditInputs } from '../../e2e/support/audit-inputs';
import {
  API_ENTRY,
  ManagedProcess,
  REDIS_URL,
  RunningService,
  sleep,
  startService,
} from '../../e2e/support/service-harness';

export const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled'];

/** Locks lost within seconds, stalled jobs found within a second, a repair pass every second. */
export const FAST_RECOVERY_ENV: NodeJS.ProcessEnv = {
  WORKER_LOCK_DURATION_MS: '3000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_MAX_STALLED_COUNT: '1',
  AUDIT_REPAIR_INTERVAL_MS: '1000',
  AUDIT_REPAIR_MIN_AGE_MS: '3000',
};

export function startFaultService(label: string, env: NodeJS.ProcessEnv = {}): Promise<RunningService> {
  return startService(label, { worker: false, env: { ...FAST_RECOVERY_ENV, ...env } });
}

/**
 * A second api process on the suite's schema and queues (the first keeps serving), with extra environment: a
 * failpoint, a skewed clock. Resolves once it listens, with its base URL; the caller stops it.
 */
export async function startExtraApi(
  svc: RunningService,
  extraEnv: NodeJS.ProcessEnv,
): Promise<{ api: ManagedProcess; baseUrl: string }> {
  const api = new ManagedProcess(
    spawn(process.execPath, [API_ENTRY], { env: { ...svc.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const port = (await api.waitFor(/listening on port (\d+)/, 60_000))[1];
  return { api, baseUrl: `http://127.0.0.1:${port}` };
}

/** A fresh model version with digits data (one active audit per version, so one per scenario). */
export function uploadDigits(svc: RunningService, withPopulation: boolean): Promise<UploadedAuditInputs> {
  return uploadAuditInputs(svc, digitsModelOnnx(), {
    members: digitsCsv(0, 100),
    nonMembers: digitsCsv(100, 200),
    ...(withPopulation ? { population: digitsCsv(200, 700) } : {}),
  });
}

export async function commission(
  svc: RunningService,
  ids: UploadedAuditInputs,
  extra: Record<string, unknown>,
): Promise<string> {
  const res = await request(svc.baseUrl)
    .post('/audits')
    .set('x-api-key', svc.adminKey)
    .send({
      modelVersionId: ids.versionId,
      membersDatasetId: ids.membersId,
      nonMembersDatasetId: ids.nonMembersId,
      ...(ids.populationId ? { populationDatasetId: ids.populationId } : {}),
      seed: 7,
      ...extra,
    })
    .expect(201);
  return res.body.id as string;
}

/**
 * One reference model that trains for several seconds: a job long enough to crash in the middle of. The
 * onnxruntime trainer fits the mirrored small target's architecture in well under a second, so the reference
 * architecture is made wide.
 */
export const ONE_SLOW_REFERENCE_MODEL = {
  attacks: ['membership.rmia'],
  referenceModels: 1,
  referenceTraining: { epochs: 1000 },
  referenceHidden: [512, 512],
};

export interface AuditRow {
  status: string;
  failure_code: string | null;
  failure_reason: string | null;
  finished_at: Date | null;
}

export async function auditRow(svc: RunningService, id: string): Promise<AuditRow> {
  const rows: AuditRow[] = await svc.db.query(
    `SELECT status, failure_code, failure_reason, finished_at FROM audits WHERE id = $1`,
    [id],
  );
  if (!rows[0]) throw new Error(`audit ${id} not found`);
  return rows[0];
}

export async function waitForAudit(
  svc: RunningService,
  id: string,
  done: (a: AuditRow) => boolean,
  timeoutMs = 120_000,
): Promise<AuditRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await auditRow(svc, id);
    if (done(a)) return a;
    if (Date.now() > deadline) throw new Error(`audit ${id} stuck in ${a.status}`);
    await sleep(200);
  }
}
export const ended = (a: AuditRow) => FINAL_STATUSES.includes(a.status);

/** The audit-child processes of a worker we started. */
export function auditChildPids(workerPid: number): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(workerPid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((l) => l.includes('audit-child.js'))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
  } catch {
    return [];
  }
}

export async function waitForAuditChild(workerPid: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = auditChildPids(workerPid)[0];
    if (pid !== undefined) return pid;
    if (Date.now() > deadline) throw new Error(`worker ${workerPid} started no audit child within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The first of these workers seen running an audit child (the one that took the job). */
export async function waitForAuditChildOfAny(workers: ManagedProcess[], timeoutMs = 60_000): Promise<ManagedProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = workers.find((w) => auditChildPids(w.pid).length > 0);
    if (busy) return busy;
    if (Date.now() > deadline) throw new Error(`no worker started an audit child within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Tallied over the whole run and printed at the end: the figures the closing note asks for. */
export const tally = { audits: 0, endedOnce: 0 };

/**
 * The suite's invariant: the audit is in a final state with a finish time, a failed one says why, findings
 * are one per attack, and every reference model it planned is stored at most once (the key is the primary
 * key, so this guards against a second key format sneaking in rather than against Postgres).
 */
export async function expectEndedExactlyOnce(svc: RunningService, id: string): Promise<AuditRow> {
  tally.audits++;
  const a = await auditRow(svc, id);
  expect(FINAL_STATUSES).toContain(a.status);
  expect(a.finished_at).not.toBeNull();
  if (a.status === 'failed') expect(a.failure_reason).toBeTruthy();
  const [findings] = await svc.db.query(
    `SELECT count(*)::int AS n, count(DISTINCT attack)::int AS distinct_n FROM findings WHERE audit_id = $1`,
    [id],
  );
  expect(findings.n).toBe(findings.distinct_n);
  if (a.status !== 'succeeded') expect(findings.n).toBe(0);
  const [models] = await svc.db.query(
    `SELECT count(*)::int AS n, count(DISTINCT r.cache_key)::int AS distinct_n
     FROM reference_models r
     WHERE r.cache_key IN (SELECT jsonb_array_elements_text(reference_model_keys) FROM audits WHERE id = $1)`,
    [id],
  );
  expect(models.n).toBe(models.distinct_n);
  // Still final a moment later: nothing (a late worker, the repair loop) moves it on again.
  await sleep(1500);
  expect((await auditRow(svc, id)).status).toBe(a.status);
  tally.endedOnce++;
  return a;
}

afterAll(() => {
  if (tally.audits === 0) return;
  process.stdout.write(`[faults] ${tally.endedOnce}/${tally.audits} audits ended in exactly one final state\n`);
  // Summed over the suite by test/faults/support/faults-summary-reporter.js.
  const file = process.env.PRIVAUDIT_FAULTS_TALLY;
  if (file) appendFileSync(file, `${JSON.stringify(tally)}\n`);
});

/**
 * Deletes every key of the suite's queues, as a Redis restarted without persistence would (only this suite's
 * prefix: the shared Redis serves other suites): the audits' rows stay, their jobs are gone.
 */
export async function loseAllJobs(svc: RunningService): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${svc.env.QUEUE_PREFIX}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/**
 * A fault suite's own service (api, no worker until a test starts one) and a handle on its audit queue, started
 * once per describe. Every test starts with no worker alive: the previous test's workers are killed after it.
 */
export function useFaultService(
  label: string,
  env: NodeJS.ProcessEnv = {},
): { readonly svc: RunningService; readonly queue: Queue } {
  const suite = {} as { svc: RunningService; queue: Queue };
  beforeAll(async () => {
    suite.svc = await startFaultService(label, env);
    suite.queue = new Queue(QueueName.Audits, { connection: { url: REDIS_URL }, prefix: suite.svc.env.QUEUE_PREFIX });
  });
  afterAll(async () => {
    await suite.queue?.close();
    await suite.svc?.stop();
  });
  afterEach(async () => {
    await Promise.all(suite.svc.workers.map((w) => w.stop('SIGKILL')));
    suite.svc.workers.length = 0;
  });
  return suite;
}
