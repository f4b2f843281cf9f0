// Scenario 11: clock skew between the api and a worker. A worker runs under libfaketime (LD_PRELOAD, FAKETIME
// '+2h' or '-2h'): its Date.now() and timers see a clock two hours off while Postgres, Redis, the api and the
// file system keep the real one. What compares times across processes must use one clock: the repair loop
// ages audits by Postgres now() against updated_at (also Postgres now()), BullMQ locks and stall detection are
// Redis key TTLs, and the scratch janitors age files by the file system's own clock (stale-files.ts
// fileSystemNow), not the process's. The proof: a healthy job is neither repaired, nor re-run, nor robbed of
// its scratch by a skewed worker, and each audit ends exactly once, succeeded.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { sleep } from '../e2e/support/service-harness';
import {
  auditRow,
  commission,
  ended,
  expectEndedExactlyOnce,
  ONE_SLOW_REFERENCE_MODEL,
  startExtraApi,
  uploadDigits,
  useFaultService,
  waitForAudit,
  waitForAuditChild,
} from './support/fault-harness';

jest.setTimeout(300_000);

/** Debian's libfaketime (package faketime; .ci/run installs it), multi-threaded flavour (Node runs threads). */
const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
].find((p) => existsSync(p));

if (!LIBFAKETIME)
  process.stderr.write(
    '\n[faults] SKIPPED clock-skew scenario: libfaketime is not installed (apt-get install faketime); ' +
      'the clock-skew fault is NOT tested on this machine\n\n',
  );

/** The environment of a worker whose clock is off by `offset` (libfaketime syntax: '+2h', '-2h'). */
function skewed(offset: string): NodeJS.ProcessEnv {
  return { LD_PRELOAD: LIBFAKETIME, FAKETIME: offset, NO_FAKE_STAT: '1' };
}

const REPAIRED = /failed \(repair\)|enqueued it again|stalled/;

(LIBFAKETIME ? describe : describe.skip)('clock skew between the api and a worker', () => {
  // A short audit timeout so the janitor's age limit (timeout + 1 h = 1.5 h) lies within the two hours of skew.
  const scratch = mkdtempSync(join(tmpdir(), 'privaudit-faults-skew-'));
  const suite = useFaultService('faultskew', { AUDIT_TIMEOUT_SECONDS: '1800', TMPDIR: scratch });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('a worker two hours ahead neither repairs nor cleans up a healthy job of another worker', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const onTime = await suite.svc.startWorker();
    const id = await commission(suite.svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 111 });
    await waitForAuditChild(onTime.pid);
    const live = readdirSync(scratch).filter((n) => n.startsWith('privaudit-'));
    expect(live.length).toBeGreaterThan(0);
    // A scratch folder made a moment ago, as a job starting on another worker makes one: minutes old at most
    // on the file system's clock, over two hours old on the skewed worker's.
    const fresh = join(scratch, 'privaudit-reference-models-just-made');
    mkdirSync(fresh);

    const ahead = await suite.svc.startWorker(skewed('+2h'));
    expect(ahead.output).not.toMatch(/ld\.so/); // the preload took (no "cannot be preloaded")
    // Its start-up sweep has run, and its repair loop has made several passes over the running audit.
    await sleep(3000);
    expect(existsSync(fresh)).toBe(true);
    // And the live job's own folders, while it still runs (it usually does: it trains for several seconds more).
    if ((await auditRow(suite.svc, id)).status === 'running')
      for (const name of live) expect(existsSync(join(scratch, name))).toBe(true);

    expect(await waitForAudit(suite.svc, id, ended, 180_000)).toMatchObject({
      status: 'succeeded',
      failure_reason: null,
    });
    await expectEndedExactlyOnce(suite.svc, id);
    expect(onTime.output).not.toMatch(REPAIRED);
    expect(ahead.output).not.toMatch(REPAIRED);
  });

  it('a worker two hours behind runs an audit to one end while an on-time worker repairs and checks stalls', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const behind = await suite.svc.startWorker(skewed('-2h'));
    const id = await commission(suite.svc, ids, { ...ONE_SLOW_REFERENCE_MODEL, seed: 112 });
    await waitForAuditChild(behind.pid);
    // Proof the skew is real: BullMQ stamps processedOn with the clock of the worker that took the job.
    const processedOn = (await suite.queue.getJob(id))?.processedOn ?? 0;
    expect(Date.now() - processedOn).toBeGreaterThan(2 * 3_600_000 - 120_000);
    const onTime = await suite.svc.startWorker();

    expect(await waitForAudit(suite.svc, id, ended, 180_000)).toMatchObject({
      status: 'succeeded',
      failure_reason: null,
    });
    await expectEndedExactlyOnce(suite.svc, id);
    // The job ran once, on the skewed worker: no stall, no re-run on the on-time one, no repair.
    expect(onTime.output).not.toMatch(REPAIRED);
    expect(behind.output).not.toMatch(REPAIRED);
    expect(onTime.output).not.toContain(id);
  });

  it("an api two hours behind rotates a key: the old key's overlap runs on the database's clock", async () => {
    const behind = await startExtraApi(suite.svc, skewed('-2h'));
    try {
      const old = await request(behind.baseUrl)
        .post('/api-keys')
        .set('x-api-key', suite.svc.adminKey)
        .send({ name: 'pipeline', role: 'auditor' })
        .expect(201);
      // One hour of overlap, asked of an api whose clock says two hours ago: computed there, it would have ended
      // an hour before it began, and the old key would be refused at once.
      const rotated = await request(behind.baseUrl)
        .post(`/api-keys/${old.body.id}/rotate`)
        .set('x-api-key', suite.svc.adminKey)
        .send({ overlapSeconds: 3600 })
        .expect(201);
      const [row] = await suite.svc.db.query(
        `SELECT extract(epoch FROM expires_at - now())::int AS left_s FROM api_keys WHERE id = $1`,
        [old.body.id],
      );
      expect(row.left_s).toBeGreaterThan(3500);
      expect(row.left_s).toBeLessThanOrEqual(3600);
      for (const key of [old.body.key, rotated.body.key])
        await request(suite.svc.baseUrl).get('/models').set('x-api-key', key).expect(200);
    } finally {
      await behind.api.stop();
    }
  });
});
