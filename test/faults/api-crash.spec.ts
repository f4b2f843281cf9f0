// Scenario 9: the api killed between inserting an audit and enqueueing its job. A second api process runs with
// the test-only failpoint PRIVAUDIT_FAILPOINT=after-audit-insert (libs/config test-failpoint.ts): POST /audits
// inserts the queued row and the process dies with SIGKILL before the enqueue, so the client's connection
// drops with no answer. The row stays queued with no job in Redis until a worker's repair loop enqueues it;
// the audit, one whose reference models were to be separate jobs, then ends exactly once, succeeded.
import request from 'supertest';
import {
  auditRow,
  ended,
  expectEndedExactlyOnce,
  startExtraApi,
  uploadDigits,
  useFaultService,
  waitForAudit,
} from './support/fault-harness';

jest.setTimeout(240_000);

describe('the api killed between inserting an audit and enqueueing it', () => {
  const suite = useFaultService('faultapikill');

  it('leaves a queued row with no job, which the repair loop enqueues; the audit succeeds once', async () => {
    const ids = await uploadDigits(suite.svc, true);
    const doomed = await startExtraApi(suite.svc, { PRIVAUDIT_FAILPOINT: 'after-audit-insert' });

    const sent = request(doomed.baseUrl)
      .post('/audits')
      .set('x-api-key', suite.svc.adminKey)
      .send({
        modelVersionId: ids.versionId,
        membersDatasetId: ids.membersId,
        nonMembersDatasetId: ids.nonMembersId,
        populationDatasetId: ids.populationId,
        attacks: ['membership.rmia'],
        referenceModels: 2,
        referenceTraining: { epochs: 20 },
        seed: 109,
      })
      .then(
        (res) => ({ status: res.status, error: null as string | null }),
        (e: Error) => ({ status: 0, error: e.message }),
      );
    const answer = await sent;
    const death = await doomed.api.waitForExit(10_000);
    // No answer at all: the process died mid-request, killed by its failpoint (not by this test).
    expect(answer.status).toBe(0);
    expect(answer.error).toMatch(/socket hang up|ECONNRESET/);
    expect(death.signal).toBe('SIGKILL');
    expect(doomed.api.output).toContain('[failpoint] after-audit-insert');

    // The row is there, queued, with neither the audit's job nor its reference-model jobs behind it.
    const rows: Array<{ id: string }> = await suite.svc.db.query(`SELECT id FROM audits WHERE model_version_id = $1`, [
      ids.versionId,
    ]);
    expect(rows).toHaveLength(1);
    const id = rows[0]!.id;
    expect((await auditRow(suite.svc, id)).status).toBe('queued');
    expect(await suite.queue.getJob(id)).toBeUndefined();
    expect(await suite.queue.getJob(`${id}:offline:0`)).toBeUndefined();
    // The surviving api refuses a second audit of the version: the stranded one still holds it.
    await request(suite.svc.baseUrl)
      .post('/audits')
      .set('x-api-key', suite.svc.adminKey)
      .send({ modelVersionId: ids.versionId, membersDatasetId: ids.membersId, nonMembersDatasetId: ids.nonMembersId })
      .expect(409);

    const worker = await suite.svc.startWorker();
    expect(await waitForAudit(suite.svc, id, ended)).toMatchObject({ status: 'succeeded', failure_reason: null });
    await expectEndedExactlyOnce(suite.svc, id);
    expect(worker.output).toContain(`audit ${id} was queued with no job behind it: enqueued it again`);
  });
});
