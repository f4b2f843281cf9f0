// A labels-only model (its ONNX output is the int64 class index) through the service: the upload declares the
// class count (numClasses) or the names (classNames), the worker passes them to runAudit, and the label-only
// attack runs on it. Without either the upload is a 422 that names the parameter.
import request from 'supertest';
import { argmaxMlpOnnx, softmaxMlpOnnx, tinyRandomMlp } from '../fixtures/onnx-fixtures';
import { digitsCsv } from './support/audit-fixtures';
import { RunningService, sleep, startService } from './support/service-harness';
import { createModel, uploadDataset } from './support/service-requests';

jest.setTimeout(180_000);

const digitsWeights = () => tinyRandomMlp(3, { nFeatures: 64, hidden: [8], numClasses: 10, scale: 0.2 });

describe('labels-only models in the service', () => {
  let svc: RunningService;
  let modelId: string;
  const http = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);
  const upload = (bytes: Uint8Array, query: Record<string, unknown> = {}) =>
    as(http().post(`/models/${modelId}/versions`))
      .query(query)
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from(bytes));
  const dataset = (name: string, role: string, csv: string) => uploadDataset(svc, { name, role, csv });

  beforeAll(async () => {
    svc = await startService('labels');
    modelId = await createModel(svc, 'labels-api');
  });
  afterAll(async () => svc?.stop());

  it('refuses a labels-only upload without numClasses with a 422 naming the field, and stores nothing', async () => {
    const res = await upload(argmaxMlpOnnx(digitsWeights())).expect(422);
    expect(res.body.code).toBe('INVALID_OPTION');
    expect(res.body.message).toMatch(/numClasses/);
    expect(res.body.message).toMatch(/classNames/);
    await as(http().get(`/models/${modelId}/versions`))
      .expect(200)
      .expect((r) => expect(r.body).toEqual([]));
  });

  it('checks the declared classes: a count below 2, names that disagree with the count, a scores model of another width', async () => {
    expect((await upload(argmaxMlpOnnx(digitsWeights()), { numClasses: 1 }).expect(400)).body.message).toMatch(
      /numClasses/,
    );
    const disagree = await upload(argmaxMlpOnnx(digitsWeights()), { numClasses: 3, classNames: ['a', 'b'] }).expect(
      422,
    );
    expect(disagree.body.message).toMatch(/numClasses is 3 but 2 classNames/);
    const wrongWidth = await upload(softmaxMlpOnnx(digitsWeights()), { numClasses: 7 }).expect(422);
    expect(wrongWidth.body.message).toMatch(/outputs 10 class scores, but 7 classes were declared/);
    // The right width is accepted and recorded.
    const ok = await upload(softmaxMlpOnnx(digitsWeights()), { numClasses: 10 }).expect(201);
    expect(ok.body).toMatchObject({ numClasses: 10, classNames: null, signature: { numClasses: 10 } });
  });

  it('uploads a labels-only model with numClasses, audits it and stores the membership.label-only finding', async () => {
    const version = await upload(argmaxMlpOnnx(digitsWeights()), { numClasses: 10 }).expect(201);
    expect(version.body).toMatchObject({ numClasses: 10, signature: { outputKind: 'labels', numClasses: 10 } });
    const stored: Array<{ num_classes: number }> = await svc.db.query(
      `SELECT num_classes FROM model_versions WHERE id = $1`,
      [version.body.id],
    );
    expect(stored[0]?.num_classes).toBe(10);

    const audit = await as(http().post('/audits'))
      .send({
        modelVersionId: version.body.id,
        membersDatasetId: await dataset('members', 'members', digitsCsv(0, 120)),
        nonMembersDatasetId: await dataset('nonmembers', 'non-members', digitsCsv(120, 240)),
        attacks: ['membership.label-only'],
      })
      .expect(201);
    const deadline = Date.now() + 150_000;
    let body: { status: string; failureReason?: string };
    for (;;) {
      body = (await as(http().get(`/audits/${audit.body.id}`)).expect(200)).body;
      if (['succeeded', 'failed'].includes(body.status) || Date.now() > deadline) break;
      await sleep(300);
    }
    expect(body).toMatchObject({ status: 'succeeded' });
    const findings = await as(http().get(`/audits/${audit.body.id}/findings`)).expect(200);
    expect(findings.body.map((f: { attack: string }) => f.attack)).toEqual(['membership.label-only']);
    const report = await as(http().get(`/audits/${audit.body.id}/report`)).expect(200);
    expect(report.body.target).toMatchObject({ outputKind: 'labels' });
  });

  it('takes classNames instead of a count and audits string labels with them', async () => {
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const version = await upload(argmaxMlpOnnx(digitsWeights()), { classNames: names }).expect(201);
    expect(version.body).toMatchObject({ numClasses: 10, classNames: names });
    const named = (csv: string) =>
      csv
        .trim()
        .split('\n')
        .map((line, i) => {
          if (i === 0) return line;
          const cells = line.split(',');
          cells[cells.length - 1] = names[Number(cells[cells.length - 1])] as string;
          return cells.join(',');
        })
        .join('\n') + '\n';
    const audit = await as(http().post('/audits'))
      .send({
        modelVersionId: version.body.id,
        membersDatasetId: await dataset('members-named', 'members', named(digitsCsv(0, 120))),
        nonMembersDatasetId: await dataset('nonmembers-named', 'non-members', named(digitsCsv(120, 240))),
        attacks: ['membership.label-only'],
      })
      .expect(201);
    const deadline = Date.now() + 150_000;
    let body: { status: string };
    for (;;) {
      body = (await as(http().get(`/audits/${audit.body.id}`)).expect(200)).body;
      if (['succeeded', 'failed'].includes(body.status) || Date.now() > deadline) break;
      await sleep(300);
    }
    expect(body).toMatchObject({ status: 'succeeded' });
  });

  it('refuses an endpoint with auth headers when SECRETS_ENCRYPTION_KEY is not set (503), storing nothing', async () => {
    // This suite's service has no key. The address is public and only checked, never queried.
    const before = (await as(http().get(`/models/${modelId}/versions`)).expect(200)).body.length;
    const res = await as(http().post(`/models/${modelId}/endpoint-versions`))
      .send({
        url: 'https://8.8.8.8/v2/models/m/infer',
        protocol: 'kserve-v2',
        headers: { authorization: 'Bearer never-stored-0123' },
        numClasses: 10,
        nFeatures: 64,
      })
      .expect(503);
    expect(res.body.code).toBe('SECRETS_UNAVAILABLE');
    expect(res.body.message).toMatch(/SECRETS_ENCRYPTION_KEY is not set/);
    expect(JSON.stringify(res.body)).not.toContain('never-stored');
    expect((await as(http().get(`/models/${modelId}/versions`)).expect(200)).body.length).toBe(before);
  });
});
