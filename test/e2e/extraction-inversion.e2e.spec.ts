// Extraction and inversion audits through the service (issues 7 and 8, service side), over real HTTP with the real
// Postgres and Redis: an extraction audit of an endpoint version (a real local KServe v2 server, loopback
// allow-listed) within its query budget, whose stolen surrogate is downloaded from the api and checked with
// onnxruntime against the target; an inversion.attribute audit of a raw-table version (penguins through its
// preprocessing spec) with the contract metrics in the report; and the 422s a commission answers before anything
// runs: a plan over the query budget and a sensitive column that does not exist.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import request from 'supertest';
import { loadLabeledCsv } from '../../libs/engine/src/data/csv-dataset';
import { writeMlpOnnx } from '../../libs/engine/src/onnx/mlp-onnx-writer';
import { trainMlp } from '../../libs/engine/src/training/mlp-trainer';
import { fixtureTargetSpec, InferenceServer, startInferenceServer } from '../fixtures/inference-servers';
import { PENGUINS_SPEC, trainPenguinsTarget, writePenguinSplit } from '../fixtures/penguins';
import { digitsCsv } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';
import { createModel, uploadDataset, uploadModelVersion, waitForAudit } from './support/service-requests';

jest.setTimeout(300_000);

/** A digits MLP (64-16-10) trained on rows [0, 300): a target with structure worth stealing. */
async function trainedDigitsTarget(): Promise<Uint8Array> {
  const rows = await loadLabeledCsv(Buffer.from(digitsCsv(0, 300)), { labelColumn: 'digit' });
  const weights = await trainMlp(
    rows,
    { nFeatures: 64, hidden: [16], numClasses: 10, activation: 'relu' },
    { epochs: 40, batchSize: 32, learningRate: 0.01, l2: 0, seed: 3 },
  );
  return writeMlpOnnx(weights, { style: 'gemm', output: 'softmax' });
}

/** Predicted class per row of a digits CSV (64 features + digit) from an ONNX model, with onnxruntime. */
async function predictedClasses(onnx: Uint8Array, csv: string): Promise<number[]> {
  const rows = csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(0, 64).map(Number));
  const session = await ort.InferenceSession.create(onnx);
  try {
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 64]);
    const out = await session.run({ [session.inputNames[0] as string]: input });
    const scores = out[session.outputNames[0] as string]?.data as Float32Array;
    return rows.map((_, r) => {
      let best = 0;
      for (let c = 1; c < 10; c++) if ((scores[r * 10 + c] as number) > (scores[r * 10 + best] as number)) best = c;
      return best;
    });
  } finally {
    await session.release();
  }
}

describe('extraction and inversion audits over REST', () => {
  let svc: RunningService;
  let kserve: InferenceServer;
  let target: Uint8Array;
  let dir: string;
  let auditorKey: string;
  const http = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);
  const countAudits = async () => Number((await svc.db.query(`SELECT count(*) AS n FROM audits`))[0].n);

  const dataset = (name: string, role: string, csv: string, labelColumn: string, idColumn?: string) =>
    uploadDataset(svc, { name, role, csv, labelColumn, idColumn });

  const finished = (id: string) => waitForAudit(svc, id, { timeoutMs: 240_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'privaudit-e2e-attacks-'));
    target = await trainedDigitsTarget();
    kserve = await startInferenceServer({ protocol: 'kserve-v2', model: target });
    svc = await startService('attacks', {
      env: {
        OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        MAX_QUERY_BUDGET: '20000',
      },
    });
    auditorKey = (await as(http().post('/api-keys')).send({ name: 'reader', role: 'auditor' }).expect(201)).body
      .key as string;
  });
  afterAll(async () => {
    await svc?.stop();
    await kserve?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('extraction.knockoff against a KServe endpoint version', () => {
    let versionId: string;
    let ids: { members: string; nonMembers: string; population: string };
    const members = digitsCsv(0, 100);
    const nonMembers = digitsCsv(300, 400);

    beforeAll(async () => {
      const modelId = await createModel(svc, 'digits-endpoint');
      versionId = (
        await as(http().post(`/models/${modelId}/endpoint-versions`))
          .send({ ...fixtureTargetSpec(kserve, 'kserve-v2'), numClasses: 10, nFeatures: 64 })
          .expect(201)
      ).body.id;
      ids = {
        members: await dataset('members', 'members', members, 'digit'),
        nonMembers: await dataset('nonmembers', 'non-members', nonMembers, 'digit'),
        population: await dataset('population', 'population', digitsCsv(400, 1400), 'digit'),
      };
    });

    it('answers 422 naming queryBudget when the planned queries exceed it, before anything is stored or sent', async () => {
      const before = await countAudits();
      const res = await as(http().post('/audits'))
        .send({
          modelVersionId: versionId,
          membersDatasetId: ids.members,
          nonMembersDatasetId: ids.nonMembers,
          populationDatasetId: ids.population,
          attacks: ['extraction.knockoff'],
          // 200 audited records + 1000 uniform inputs leave fewer than 100 queries for the attack.
          queryBudget: 1250,
        })
        .expect(422);
      expect(res.body).toMatchObject({ code: 'QUERY_BUDGET_EXCEEDED', details: { field: 'queryBudget' } });
      expect(res.body.message).toMatch(/query budget of 1250/);
      const membership = await as(http().post('/audits'))
        .send({
          modelVersionId: versionId,
          membersDatasetId: ids.members,
          nonMembersDatasetId: ids.nonMembers,
          attacks: ['membership.loss', 'membership.label-only'],
          queryBudget: 300,
        })
        .expect(422);
      expect(membership.body).toMatchObject({ code: 'QUERY_BUDGET_EXCEEDED', details: { field: 'queryBudget' } });
      expect(membership.body.message).toMatch(/needs \d+ queries but the query budget leaves 300/);
      expect(await countAudits()).toBe(before);
      expect(kserve.requests).toBe(0);
    });

    it('steals the model within the budget; the surrogate artefact downloads, loads in onnxruntime and agrees with the target as reported', async () => {
      const created = await as(http().post('/audits'))
        .send({
          modelVersionId: versionId,
          membersDatasetId: ids.members,
          nonMembersDatasetId: ids.nonMembers,
          populationDatasetId: ids.population,
          attacks: ['extraction.knockoff'],
          queryBudget: 1700,
          queryPrice: 0.002,
          knockoffStrategy: 'random',
        })
        .expect(201);
      expect(created.body).toMatchObject({ queryBudget: 1700, queryPrice: 0.002, knockoffStrategy: 'random' });
      const done = await finished(created.body.id);
      expect(done.failure).toBeNull();
      expect(done.status).toBe('succeeded');
      expect(done.queriesUsed).toBe(kserve.rowsReceived);
      expect(done.queriesUsed).toBeLessThanOrEqual(1700);

      const findings = await as(http().get(`/audits/${created.body.id}/findings`)).expect(200);
      expect(findings.body).toHaveLength(1);
      const m = findings.body[0].metrics;
      expect(findings.body[0].attack).toBe('extraction.knockoff');
      expect(m.queriesUsed).toBeGreaterThanOrEqual(100);
      expect(m.queriesUsed).toBeLessThanOrEqual(1700);
      expect(Object.keys(m.queriesTo).sort()).toEqual(['0.9', '0.95', '0.99']);
      expect(m.curve.length).toBeGreaterThan(1);
      expect(m.cost).toBeDefined();
      const report = await as(http().get(`/audits/${created.body.id}/report`)).expect(200);
      expect(report.body.findings.map((f: { kind: string }) => f.kind)).toEqual(['extraction']);
      await as(http().get(`/audits/${created.body.id}/report.pdf`)).expect(200);

      const list = await as(http().get(`/audits/${created.body.id}/artifacts`)).expect(200);
      expect(list.body).toEqual([
        expect.objectContaining({ name: 'surrogate.onnx', kind: 'surrogate-onnx', sha256: expect.any(String) }),
      ]);
      // Any reader sees the list; only the roles that commission audits download a copy of the model.
      await http().get(`/audits/${created.body.id}/artifacts`).set('x-api-key', auditorKey).expect(200);
      await http().get(`/audits/${created.body.id}/artifacts/surrogate.onnx`).set('x-api-key', auditorKey).expect(403);
      await as(http().get(`/audits/${created.body.id}/artifacts/nothing.onnx`)).expect(404);
      const download = await as(http().get(`/audits/${created.body.id}/artifacts/surrogate.onnx`))
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const bytes = download.body as Buffer;
      expect(bytes.length).toBe(list.body[0].bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(list.body[0].sha256);

      // Fidelity checked independently: the surrogate's labels against the target's on the held-out (audited) rows.
      const heldOut = members + nonMembers.split('\n').slice(1).join('\n');
      const [mine, theirs] = [await predictedClasses(bytes, heldOut), await predictedClasses(target, heldOut)];
      const agreement = mine.filter((c, i) => c === theirs[i]).length / mine.length;
      expect(Math.abs(agreement - m.fidelity)).toBeLessThanOrEqual(0.02);
      expect(agreement).toBeGreaterThan((m.baselineFidelity as number) + 0.2);

      // The download is an export in the access log.
      const log = await as(http().get('/access-log').query({ action: 'export', resourceId: created.body.id })).expect(
        200,
      );
      expect(log.body.entries.map((e: { path: string }) => e.path)).toContain(
        `/audits/${created.body.id}/artifacts/surrogate.onnx`,
      );
    });
  });

  it('stores MI-Face reconstructions of an image-shaped model as artefacts: a CSV and a PNG per class', async () => {
    const versionId = (await uploadModelVersion(svc, await createModel(svc, 'digits-file'), target)).id;
    const created = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: await dataset('members', 'members', digitsCsv(0, 100), 'digit'),
        nonMembersDatasetId: await dataset('nonmembers', 'non-members', digitsCsv(300, 400), 'digit'),
        populationDatasetId: await dataset('population', 'population', digitsCsv(400, 700), 'digit'),
        attacks: ['inversion.miface'],
      })
      .expect(201);
    const done = await finished(created.body.id);
    expect(done.failure).toBeNull();
    const list = (await as(http().get(`/audits/${created.body.id}/artifacts`)).expect(200)).body as Array<{
      name: string;
      kind: string;
      sha256: string;
      bytes: number;
    }>;
    // One or more reconstructions per class (file names carry the class index, never a class name).
    const ofClass = (c: number, ext: string) =>
      list.filter((a) => new RegExp(`^miface-class-${c}(?:[-_.][A-Za-z0-9_-]+)*\\.${ext}$`).test(a.name));
    for (let c = 0; c < 10; c++) {
      expect(ofClass(c, 'png').map((a) => a.kind)).toContain('reconstruction-png');
      expect(ofClass(c, 'csv').map((a) => a.kind)).toContain('reconstruction-csv');
    }
    const png = ofClass(3, 'png')[0] as { name: string; sha256: string };
    const download = await as(http().get(`/audits/${created.body.id}/artifacts/${png.name}`))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect('content-type', 'image/png')
      .expect(200);
    const bytes = download.body as Buffer;
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(png.sha256);
    const csvName = (ofClass(3, 'csv').find((a) => !a.name.includes('.raw.')) as { name: string }).name;
    const csv = await as(http().get(`/audits/${created.body.id}/artifacts/${csvName}`)).expect(200);
    // A header of the 64 model inputs, then the class (and how the row was made): model inputs, never a real record.
    const header = csv.text.split('\n')[0]?.split(',') ?? [];
    expect(header.slice(0, 64)).toEqual(Array.from({ length: 64 }, (_, i) => `p${i}`));
    expect(header[64]).toBe('class');
    const report = await as(http().get(`/audits/${created.body.id}/report`)).expect(200);
    expect(report.body.findings.map((f: { attack: string }) => f.attack)).toEqual(['inversion.miface']);

    // Deleting the audit deletes its artefacts: listed on the receipt, their files gone from the blob store.
    const blobPath = (sha: string) => path.join(svc.env.STORAGE_DIR as string, 'blobs', sha.slice(0, 2), sha);
    expect(list.every((a) => existsSync(blobPath(a.sha256)))).toBe(true);
    const receipt = (await as(http().delete(`/audits/${created.body.id}`)).expect(200)).body;
    const listed = receipt.items.filter((i: { type: string }) => i.type === 'artifact');
    expect(listed.map((i: { name: string }) => i.name).sort()).toEqual(list.map((a) => a.name).sort());
    expect([...receipt.blobsRemoved].sort()).toEqual([...new Set(list.map((a) => a.sha256))].sort());
    expect(list.filter((a) => existsSync(blobPath(a.sha256)))).toEqual([]);
  });

  it("takes a model file's queryBudget as each extraction run's budget (and refuses it without extraction)", async () => {
    const versionId = (await uploadModelVersion(svc, await createModel(svc, 'digits-linear'), target)).id;
    const base = {
      modelVersionId: versionId,
      membersDatasetId: await dataset('members', 'members', digitsCsv(0, 60), 'digit'),
      nonMembersDatasetId: await dataset('nonmembers', 'non-members', digitsCsv(300, 360), 'digit'),
      queryBudget: 300,
    };
    const refused = await as(http().post('/audits'))
      .send({ ...base, attacks: ['membership.loss'] })
      .expect(422);
    expect(refused.body.code).toBe('WRONG_MODEL_VERSION_KIND');
    const created = await as(http().post('/audits'))
      .send({ ...base, attacks: ['extraction.equation-solving'] })
      .expect(201);
    expect(created.body.queryBudget).toBe(300);
    const done = await finished(created.body.id);
    expect(done.failure).toBeNull();
    const [finding] = (await as(http().get(`/audits/${created.body.id}/findings`)).expect(200)).body;
    expect(finding).toMatchObject({ attack: 'extraction.equation-solving', metrics: { queryBudget: 300 } });
    expect(finding.metrics.queriesUsed).toBeLessThanOrEqual(300);
  });

  describe('inversion.attribute against a raw-table version (penguins, sex)', () => {
    let versionId: string;
    let ids: { members: string; nonMembers: string; population: string };

    beforeAll(async () => {
      const split = await writePenguinSplit(dir, 7);
      const model = Buffer.from(await trainPenguinsTarget(split.members, 7, 60));
      const modelId = await createModel(svc, 'penguins');
      versionId = (
        await as(http().post(`/models/${modelId}/versions`))
          .set('content-type', 'application/octet-stream')
          .send(model)
          .expect(201)
      ).body.id;
      await as(http().put(`/model-versions/${versionId}/preprocessing`))
        .set('content-type', 'application/json')
        .send(readFileSync(PENGUINS_SPEC, 'utf8'))
        .expect(200);
      ids = {
        members: await dataset('members', 'members', readFileSync(split.members, 'utf8'), 'species', 'id'),
        nonMembers: await dataset('nonmembers', 'non-members', readFileSync(split.nonMembers, 'utf8'), 'species', 'id'),
        population: await dataset('population', 'population', readFileSync(split.population, 'utf8'), 'species', 'id'),
      };
    });

    const commission = (extra: Record<string, unknown>) =>
      as(http().post('/audits')).send({
        modelVersionId: versionId,
        membersDatasetId: ids.members,
        nonMembersDatasetId: ids.nonMembers,
        populationDatasetId: ids.population,
        attacks: ['inversion.attribute'],
        ...extra,
      });

    it('answers 422 naming sensitiveColumn for a column that is not there, or none, storing nothing', async () => {
      const before = await countAudits();
      const absent = await commission({ sensitiveColumn: 'gender' }).expect(422);
      expect(absent.body).toMatchObject({ code: 'CSV_MISSING_COLUMN', details: { field: 'sensitiveColumn' } });
      expect(absent.body.message).toMatch(/sensitive column 'gender' is not a column of preprocessing spec/);
      const none = await commission({}).expect(422);
      expect(none.body).toMatchObject({ code: 'INVALID_OPTION', details: { field: 'sensitiveColumn' } });
      const continuous = await commission({ sensitiveColumn: 'body_mass_g' }).expect(422);
      expect(continuous.body).toMatchObject({ details: { field: 'sensitiveColumn' } });
      expect(continuous.body.message).toMatch(/continuous/);
      expect(await countAudits()).toBe(before);
    });

    it('runs in the worker: the finding carries the contract metrics, in the report and its PDF', async () => {
      const created = await commission({ sensitiveColumn: 'sex', inversionQueries: 5000 }).expect(201);
      expect(created.body).toMatchObject({ sensitiveColumn: 'sex', inversionQueries: 5000 });
      const done = await finished(created.body.id);
      expect(done.failure).toBeNull();
      expect(done.status).toBe('succeeded');
      const report = await as(http().get(`/audits/${created.body.id}/report`)).expect(200);
      const finding = report.body.findings.find((f: { attack: string }) => f.attack === 'inversion.attribute');
      expect(finding).toMatchObject({ kind: 'inversion', metrics: { sensitiveColumn: 'sex' } });
      for (const k of ['memberAccuracy', 'nonMemberAccuracy', 'baselineAccuracy', 'advantage'])
        expect(typeof finding.metrics[k]).toBe('number');
      expect(finding.metrics.advantage).toBeCloseTo(finding.metrics.memberAccuracy - finding.metrics.baselineAccuracy);
      const [lo, hi] = finding.metrics.advantageCi as [number, number];
      expect(lo).toBeLessThanOrEqual(finding.metrics.advantage);
      expect(hi).toBeGreaterThanOrEqual(finding.metrics.advantage);
      expect(report.body.config.inversion).toMatchObject({ sensitiveColumn: 'sex', queryBudget: 5000 });
      const stored = await as(http().get(`/audits/${created.body.id}/findings`)).expect(200);
      expect(stored.body.map((f: { attack: string }) => f.attack)).toEqual(['inversion.attribute']);
      const pdf = await as(http().get(`/audits/${created.body.id}/report.pdf`)).expect(200);
      expect(pdf.headers['content-type']).toMatch(/application\/pdf/);
      // Attribute inference writes no files.
      expect((await as(http().get(`/audits/${created.body.id}/artifacts`)).expect(200)).body).toEqual([]);
    });
  });
});
