// Audit plans, re-audits on a new model version, history, diff and the release gate, over HTTP against the real
// api, worker, Postgres and Redis. Version 1 is a random MLP (nothing to infer); version 2 memorises the members
// (test/e2e/support/audit-fixtures.ts): its re-audit must show the risk rising, the AUC shift as significant,
// and fail a plan gate of maxRise 0.
import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import request from 'supertest';
import { QueueName, redisOptionsFromUrl } from '../../libs/queue/src/index';
import { digitsCsv, digitsModelOnnx, memorisingDigitsModelOnnx } from './support/audit-fixtures';
import { API_ENTRY, ManagedProcess, REDIS_URL, RunningService, sleep, startService } from './support/service-harness';
import { createModel, uploadDataset, uploadModelVersion, waitForAudit } from './support/service-requests';
import { softmaxMlpOnnx, tinyRandomMlp } from '../fixtures/onnx-fixtures';

jest.setTimeout(240_000);

describe('audit plans, re-audits, history, diff and gate over HTTP (real Postgres, Redis, worker)', () => {
  let svc: RunningService;
  let membersId: string;
  let nonMembersId: string;
  const http = () => request(svc.baseUrl);
  const asAdmin = (r: request.Test) => r.set('x-api-key', svc.adminKey);

  const upload = (name: string, role: string, csv: string) =>
    uploadDataset(svc, { name, role, csv, idColumn: 'row_id' });

  const uploadVersion = (modelId: string, onnx: Uint8Array) => uploadModelVersion(svc, modelId, onnx);

  const waitForStatus = (id: string, statuses: string[], timeoutMs = 120_000) =>
    waitForAudit(svc, id, { statuses, timeoutMs });

  beforeAll(async () => {
    // Schedules every 2 s are allowed here, so a tick comes within the test.
    svc = await startService('reaudit', { env: { MIN_SCHEDULE_INTERVAL_SECONDS: '2' } });
    membersId = await upload('members', 'members', digitsCsv(0, 40, { withId: true }));
    nonMembersId = await upload('nonmembers', 'non-members', digitsCsv(40, 80, { withId: true }));
  });
  afterAll(async () => svc?.stop());

  it('checks a plan: unknown model 404, wrong dataset role 422, unknown or out-of-range fields 400', async () => {
    const model = await createModel(svc, 'plan-checks');
    const plan = { membersDatasetId: membersId, nonMembersDatasetId: nonMembersId };
    await asAdmin(http().put(`/models/00000000-0000-4000-8000-000000000000/audit-plan`)).send(plan).expect(404);
    const swapped = await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({ membersDatasetId: nonMembersId, nonMembersDatasetId: membersId })
      .expect(422);
    expect(swapped.body.code).toBe('DATASET_ROLE_MISMATCH');
    const misspelt = await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({ ...plan, maxrise: 3 })
      .expect(400);
    expect(misspelt.body.message).toContain('maxrise');
    await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({ ...plan, maxRise: 101 })
      .expect(400);
    await asAdmin(http().get(`/models/${model}/audit-plan`)).expect(404);
    const put = await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({ ...plan, seed: 9 })
      .expect(200);
    expect(put.body).toMatchObject({ modelId: model, seed: 9, maxRise: null, reauditOnNewVersion: true });
    expect((await asAdmin(http().get(`/models/${model}/audit-plan`)).expect(200)).body).toMatchObject({ seed: 9 });
    // A version that does not fit the plan's data is stored; its re-audit is refused, and the upload says why.
    const misfit = await uploadVersion(model, softmaxMlpOnnx(tinyRandomMlp(2, { nFeatures: 5, numClasses: 10 })));
    expect(misfit.reaudit).toMatchObject({ status: 'not-queued', error: { code: 'MODEL_SHAPE_MISMATCH' } });
    await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({ ...plan, reauditOnNewVersion: false })
      .expect(200);
    expect((await uploadVersion(model, digitsModelOnnx(3))).reaudit).toEqual({ status: 'disabled' });
    await asAdmin(http().delete(`/models/${model}/audit-plan`)).expect(204);
    expect((await uploadVersion(model, digitsModelOnnx(4))).reaudit).toEqual({ status: 'no-plan' });
    expect((await asAdmin(http().get(`/models/${model}/audits`)).expect(200)).body).toMatchObject({ total: 0 });
  });

  it('re-audits each new version under the plan; history newest first; diff and gate against the previous audit', async () => {
    const model = await createModel(svc, 'released');
    await asAdmin(http().put(`/models/${model}/audit-plan`))
      .send({
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss'],
        seed: 4,
        maxRise: 0,
      })
      .expect(200);

    const v1 = await uploadVersion(model, digitsModelOnnx(1));
    expect(v1.reaudit.status).toBe('queued');
    const first = await waitForStatus(v1.reaudit.auditId as string, ['succeeded', 'failed']);
    expect(first).toMatchObject({ status: 'succeeded', trigger: 'new-version', modelVersionId: v1.id, seed: 4 });
    expect(first.gate).toMatchObject({ passed: true, previousAuditId: null, rise: null, maxRise: 0 });
    expect((await asAdmin(http().get(`/audits/${first.id}/diff`)).expect(200)).body).toEqual({
      auditId: first.id,
      previousAuditId: null,
    });

    const v2 = await uploadVersion(model, memorisingDigitsModelOnnx(digitsCsv(0, 40)));
    expect(v2.reaudit.status).toBe('queued');
    const second = await waitForStatus(v2.reaudit.auditId as string, ['succeeded', 'failed']);
    expect(second.status).toBe('succeeded');
    const rise = (second.risk.score as number) - (first.risk.score as number);
    expect(rise).toBeGreaterThan(0);
    expect(second.gate).toMatchObject({ passed: false, previousAuditId: first.id, rise, maxRise: 0 });
    expect(second.gate.reason).toMatch(/^gate failed: risk score/);

    const diff = (await asAdmin(http().get(`/audits/${second.id}/diff`)).expect(200)).body;
    expect(diff).toMatchObject({
      auditId: second.id,
      previousAuditId: first.id,
      previousModelVersionId: v1.id,
      risk: { previousScore: first.risk.score, currentScore: second.risk.score, change: rise },
    });
    expect(diff.risk.ratingChanged).toBe(first.risk.rating !== second.risk.rating);
    const loss = diff.findings.find((f: { attack: string }) => f.attack === 'membership.loss');
    const auc = loss.metrics.find((m: { metric: string }) => m.metric === 'auc');
    expect(auc.current).toBeGreaterThan(0.9);
    expect(auc.significant).toBe(true);
    expect(auc.previousInterval.upper).toBeLessThan(auc.currentInterval.lower);
    for (const id of loss.newlyExposed as string[]) expect(id).toMatch(/^r\d+$/);
    const exposedNow = (await asAdmin(http().get(`/audits/${second.id}/findings`)).expect(200)).body[0].mostExposed.map(
      (r: { rowId: string }) => r.rowId,
    );
    const exposedBefore = (
      await asAdmin(http().get(`/audits/${first.id}/findings`)).expect(200)
    ).body[0].mostExposed.map((r: { rowId: string }) => r.rowId);
    expect(loss.newlyExposed).toEqual(exposedNow.filter((id: string) => !exposedBefore.includes(id)));

    // History: newest first, a page at a time, with the version number, risk and gate of each audit.
    const page1 = (
      await asAdmin(http().get(`/models/${model}/audits`))
        .query({ limit: 1 })
        .expect(200)
    ).body;
    expect(page1).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(page1.items).toHaveLength(1);
    expect(page1.items[0]).toMatchObject({
      id: second.id,
      modelVersion: 2,
      risk: second.risk,
      gate: { passed: false },
    });
    const page2 = (
      await asAdmin(http().get(`/models/${model}/audits`))
        .query({ limit: 1, offset: 1 })
        .expect(200)
    ).body;
    expect(page2.items[0]).toMatchObject({ id: first.id, modelVersion: 1, gate: { passed: true } });
    await asAdmin(http().get(`/models/${model}/audits`))
      .query({ limit: 0 })
      .expect(400);

    // A manual audit of the model (POST /audits) carries no gate but is part of the history and the diff chain.
    const manual = await asAdmin(http().post('/audits'))
      .send({
        modelVersionId: v2.id,
        membersDatasetId: membersId,
        nonMembersDatasetId: nonMembersId,
        attacks: ['membership.loss'],
        seed: 4,
      })
      .expect(201);
    const manualDone = await waitForStatus(manual.body.id as string, ['succeeded', 'failed']);
    expect(manualDone).toMatchObject({ trigger: 'manual', gate: null });
    const manualDiff = (await asAdmin(http().get(`/audits/${manualDone.id}/diff`)).expect(200)).body;
    expect(manualDiff.previousAuditId).toBe(second.id);
    expect(manualDiff.risk.change).toBe(0);
    expect(
      (await asAdmin(http().get(`/models/${model}/audits`)).expect(200)).body.items.map((a: { id: string }) => a.id),
    ).toEqual([manualDone.id, second.id, first.id]);
  });

  it('runs a plan schedule as a BullMQ job scheduler: 422 for a bad cron, ticks re-audit, restored at start-up, removed with the schedule', async () => {
    const model = await createModel(svc, 'scheduled');
    const v1 = await uploadVersion(model, digitsModelOnnx(5));
    expect(v1.reaudit).toEqual({ status: 'no-plan' });
    const plan = {
      membersDatasetId: membersId,
      nonMembersDatasetId: nonMembersId,
      attacks: ['membership.loss'],
      seed: 2,
    };
    for (const [schedule, pattern] of [
      ['every day at 3', /5 fields/],
      ['61 * * * *', /not a valid cron expression/],
      ['* * * * * *', /more often than the 2 s allowed/],
    ] as const) {
      const refused = await asAdmin(http().put(`/models/${model}/audit-plan`))
        .send({ ...plan, schedule })
        .expect(422);
      expect(refused.body).toMatchObject({ code: 'INVALID_SCHEDULE', details: { field: 'schedule' } });
      expect(refused.body.message).toMatch(pattern);
    }
    await asAdmin(http().get(`/models/${model}/audit-plan`)).expect(404); // nothing stored

    const queue = new Queue(QueueName.Reaudits, {
      connection: redisOptionsFromUrl(REDIS_URL, false),
      prefix: svc.env.QUEUE_PREFIX as string,
    });
    try {
      const put = await asAdmin(http().put(`/models/${model}/audit-plan`))
        .send({ ...plan, schedule: '*/2 * * * * *' })
        .expect(200);
      expect(put.body.schedule).toBe('*/2 * * * * *');
      // Putting the same plan again leaves one scheduler.
      await asAdmin(http().put(`/models/${model}/audit-plan`))
        .send({ ...plan, schedule: '*/2 * * * * *' })
        .expect(200);
      expect(await queue.getJobSchedulersCount()).toBe(1);

      // A tick audits the latest version under the plan.
      const deadline = Date.now() + 30_000;
      let scheduled: { id: string; trigger: string; modelVersionId: string } | undefined;
      while (!scheduled && Date.now() < deadline) {
        const items = (await asAdmin(http().get(`/models/${model}/audits`)).expect(200)).body.items as Array<{
          id: string;
          trigger: string;
          modelVersionId: string;
        }>;
        scheduled = items.find((a) => a.trigger === 'schedule');
        if (!scheduled) await sleep(500);
      }
      expect(scheduled).toMatchObject({ trigger: 'schedule', modelVersionId: v1.id });
      await waitForStatus(scheduled!.id, ['succeeded']);

      // Redis loses the scheduler (a flushed or replaced Redis); an api starting up restores it from Postgres.
      await queue.removeJobScheduler(`reaudit:${model}`);
      expect(await queue.getJobSchedulersCount()).toBe(0);
      const replica = new ManagedProcess(
        spawn(process.execPath, [API_ENTRY], { env: { ...svc.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      try {
        await replica.waitFor(/listening on port (\d+)/, 60_000);
        const restored = await queue.getJobSchedulers(0, -1, true);
        expect(restored.map((s) => [s.key, s.pattern])).toEqual([[`reaudit:${model}`, '*/2 * * * * *']]);
      } finally {
        await replica.stop();
      }

      // The plan without a schedule removes the scheduler: no more scheduled audits.
      await asAdmin(http().put(`/models/${model}/audit-plan`))
        .send(plan)
        .expect(200);
      expect(await queue.getJobSchedulersCount()).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
