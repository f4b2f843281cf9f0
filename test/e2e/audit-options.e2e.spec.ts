// POST /audits options the CLI already had: `referenceTraining` (how reference models are trained, priced
// into the estimate and their cache keys, used by every job of the audit) and `classes` (string labels,
// mapped to the model's outputs in the declared order), `outputPolicy` (audit as if the API answered less) and
// `referenceHidden`/`referenceActivation` (the reference models' architecture, part of their cache keys).
import request from 'supertest';
import { csvText, randomFeatures, softmaxMlpOnnx, tinyRandomMlp } from '../fixtures/onnx-fixtures';
import { digitsCsv } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';
import { createModel, uploadModelVersion, waitForAudit } from './support/service-requests';

jest.setTimeout(240_000);

/** A tiny satellite-like sample: 4 numeric features and a string label column `classes` ('a', 'b', 'c'). */
function stringLabelCsv(seed: number, nRows: number): string {
  const x = randomFeatures(seed, nRows, 4);
  const rows = Array.from({ length: nRows }, (_, i) => [
    ...Array.from(x.subarray(i * 4, i * 4 + 4), (v) => v.toFixed(4)),
    ['a', 'b', 'c'][i % 3] as string,
  ]);
  return csvText(['x.1', 'x.2', 'x.3', 'x.4', 'classes'], rows);
}

describe('audit options: referenceTraining, classes, outputPolicy and reference architecture', () => {
  let svc: RunningService;
  const http = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);

  beforeAll(async () => {
    svc = await startService('options');
  });
  afterAll(async () => svc?.stop());

  async function modelVersion(bytes: Uint8Array): Promise<string> {
    return (await uploadModelVersion(svc, await createModel(svc, 'target'), bytes)).id;
  }

  function dataset(name: string, role: string, labelColumn: string, csv: string): request.Test {
    return as(http().post('/datasets')).query({ name, role, labelColumn }).set('content-type', 'text/csv').send(csv);
  }

  const finished = (id: string, timeoutMs = 180_000) => waitForAudit(svc, id, { timeoutMs });

  describe('referenceTraining', () => {
    let body: Record<string, unknown>;
    // Wide enough (64-32-10) that training time, not the fixed per-model cost, dominates the estimate.
    const digitsModel = () =>
      softmaxMlpOnnx(tinyRandomMlp(5, { nFeatures: 64, hidden: [32], numClasses: 10, scale: 0.2 }));

    beforeAll(async () => {
      body = {
        membersDatasetId: (await dataset('members', 'members', 'digit', digitsCsv(0, 100)).expect(201)).body.id,
        nonMembersDatasetId: (await dataset('nonmembers', 'non-members', 'digit', digitsCsv(100, 200)).expect(201)).body
          .id,
        populationDatasetId: (await dataset('population', 'population', 'digit', digitsCsv(200, 1000)).expect(201)).body
          .id,
        attacks: ['membership.rmia'],
        referenceModels: 2,
      };
    });

    it('prices fewer epochs into a smaller estimate and other cache keys, echoes them, and trains and runs with them', async () => {
      const defaults = await as(http().post('/audits'))
        .send({ ...body, modelVersionId: await modelVersion(digitsModel()) })
        .expect(201);
      const fewEpochs = await as(http().post('/audits'))
        .send({ ...body, modelVersionId: await modelVersion(digitsModel()), referenceTraining: { epochs: 5 } })
        .expect(201);

      expect(defaults.body.referenceTraining).toBeNull();
      expect(fewEpochs.body.referenceTraining).toEqual({ epochs: 5 });
      expect(fewEpochs.body.estimate).toMatchObject({ modelsTotal: 2, modelsToTrain: 2 });
      expect(fewEpochs.body.estimate.estimatedSeconds).toBeLessThan(defaults.body.estimate.estimatedSeconds);

      const stored: Array<{ id: string; reference_training: unknown; reference_model_keys: string[] }> =
        await svc.db.query(`SELECT id, reference_training, reference_model_keys FROM audits WHERE id = ANY($1)`, [
          [defaults.body.id, fewEpochs.body.id],
        ]);
      const row = (id: string) => stored.find((r) => r.id === id) as (typeof stored)[number];
      expect(row(fewEpochs.body.id).reference_training).toEqual({ epochs: 5 });
      expect(row(defaults.body.id).reference_training).toBeNull();
      // Same data, seed and K: only the training recipe tells the planned models apart.
      const defaultKeys = new Set(row(defaults.body.id).reference_model_keys);
      expect(row(fewEpochs.body.id).reference_model_keys.some((k) => defaultKeys.has(k))).toBe(false);

      // The child jobs train under the planned keys (else REFERENCE_MODEL_KEY_MISMATCH) and the audit itself
      // finds every one of them stored (else it would train its own).
      const done = await finished(fewEpochs.body.id);
      expect(done.failure).toBeNull();
      expect(done.status).toBe('succeeded');
      expect((await as(http().get(`/audits/${done.id}`)).expect(200)).body.referenceTraining).toEqual({ epochs: 5 });
      const report = await as(http().get(`/audits/${done.id}/report`)).expect(200);
      expect(report.body.config.referenceCost).toMatchObject({ modelsCached: 2, modelsTrained: 0 });
      expect((await finished(defaults.body.id)).status).toBe('succeeded');
    });

    it.each([
      ['zero epochs', { referenceTraining: { epochs: 0 } }, /referenceTraining\.epochs/],
      ['fractional epochs', { referenceTraining: { epochs: 2.5 } }, /referenceTraining\.epochs/],
      ['over 1000 epochs', { referenceTraining: { epochs: 1001 } }, /referenceTraining\.epochs/],
      ['a zero learning rate', { referenceTraining: { learningRate: 0 } }, /referenceTraining\.learningRate/],
      ['a learning rate over 1', { referenceTraining: { learningRate: 1.5 } }, /referenceTraining\.learningRate/],
      ['a batch size over 4096', { referenceTraining: { batchSize: 5000 } }, /referenceTraining\.batchSize/],
      ['a negative L2', { referenceTraining: { l2: -0.1 } }, /referenceTraining\.l2/],
      ['an unknown training option', { referenceTraining: { epoch: 5 } }, /referenceTraining/],
      ['one class', { classes: ['a'] }, /classes/],
      ['duplicate classes', { classes: ['a', 'b', 'a'] }, /classes.*unique/],
      ['an empty class name', { classes: ['a', ''] }, /classes\.1/],
      ['a padded class name', { classes: ['a', ' b'] }, /classes\.1/],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_what, extra, problem) => {
      const res = await as(http().post('/audits'))
        .send({ ...body, modelVersionId: '00000000-0000-4000-8000-000000000000', ...extra })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toMatch(problem);
    });

    it('describes both options in the OpenAPI document', async () => {
      const doc = JSON.stringify((await http().get('/docs-json').expect(200)).body.paths['/audits']);
      expect(doc).toContain('referenceTraining');
      expect(doc).toContain('classes');
    });
  });

  describe('outputPolicy and reference architecture', () => {
    let data: { membersDatasetId: string; nonMembersDatasetId: string; populationDatasetId: string };
    const digitsModel = () =>
      softmaxMlpOnnx(tinyRandomMlp(11, { nFeatures: 64, hidden: [16], numClasses: 10, scale: 0.2 }));

    beforeAll(async () => {
      data = {
        membersDatasetId: (await dataset('pol-members', 'members', 'digit', digitsCsv(0, 100)).expect(201)).body.id,
        nonMembersDatasetId: (await dataset('pol-nonmembers', 'non-members', 'digit', digitsCsv(100, 200)).expect(201))
          .body.id,
        populationDatasetId: (await dataset('pol-population', 'population', 'digit', digitsCsv(200, 1000)).expect(201))
          .body.id,
      };
    });
    const noPopulation = () => ({
      membersDatasetId: data.membersDatasetId,
      nonMembersDatasetId: data.nonMembersDatasetId,
    });

    it("audits under outputPolicy 'labels' with membership.label-only only when no attack is named", async () => {
      const created = await as(http().post('/audits'))
        .send({ ...noPopulation(), modelVersionId: await modelVersion(digitsModel()), outputPolicy: ' labels' })
        .expect(201);
      expect(created.body.outputPolicy).toBe('labels');
      expect(created.body.attacks).toBeNull();
      const done = await finished(created.body.id);
      expect(done.failure).toBeNull();
      expect(done.status).toBe('succeeded');
      const findings = await as(http().get(`/audits/${done.id}/findings`)).expect(200);
      expect(findings.body.map((f: { attack: string }) => f.attack)).toEqual(['membership.label-only']);
      const report = await as(http().get(`/audits/${done.id}/report`)).expect(200);
      expect(report.body.config.outputPolicy).toBe('labels');
    });

    it("refuses score attacks under outputPolicy 'labels' with 422 ATTACK_NEEDS_SCORES, queueing nothing", async () => {
      const modelVersionId = await modelVersion(digitsModel());
      const res = await as(http().post('/audits'))
        .send({ ...noPopulation(), modelVersionId, outputPolicy: 'labels', attacks: ['membership.loss'] })
        .expect(422);
      expect(res.body.code).toBe('ATTACK_NEEDS_SCORES');
      expect(res.body.message).toMatch(/membership\.loss needs the target's scores/);
      const n = await svc.db.query(`SELECT count(*)::int AS n FROM audits WHERE model_version_id = $1`, [
        modelVersionId,
      ]);
      expect(Number(n[0].n)).toBe(0);
    });

    it('refuses a top-k policy keeping every class with 422 INVALID_OPTION', async () => {
      const res = await as(http().post('/audits'))
        .send({ ...noPopulation(), modelVersionId: await modelVersion(digitsModel()), outputPolicy: 'top-k:10' })
        .expect(422);
      expect(res.body.code).toBe('INVALID_OPTION');
      expect(res.body.message).toMatch(/keeps every class of a 10-class model/);
    });

    it('refuses referenceActivation without referenceHidden with 422 INVALID_OPTION', async () => {
      const res = await as(http().post('/audits'))
        .send({ ...noPopulation(), modelVersionId: await modelVersion(digitsModel()), referenceActivation: 'tanh' })
        .expect(422);
      expect(res.body.code).toBe('INVALID_OPTION');
      expect(res.body.message).toMatch(/referenceActivation needs referenceHidden/);
    });

    it.each([
      ['an unknown output policy', { outputPolicy: 'scores' }, /outputPolicy.*expected 'labels'/],
      ['a top-k policy without k', { outputPolicy: 'top-k:' }, /outputPolicy.*whole number/],
      ['rounding to 8 decimals', { outputPolicy: 'round:8' }, /outputPolicy.*from 1 to 7/],
      ['a zero hidden width', { referenceHidden: [0] }, /referenceHidden\.0/],
      ['a hidden width over 4096', { referenceHidden: [5000] }, /referenceHidden\.0/],
      ['nine hidden layers', { referenceHidden: [8, 8, 8, 8, 8, 8, 8, 8, 8] }, /referenceHidden/],
      ['an unknown activation', { referenceHidden: [8], referenceActivation: 'gelu' }, /referenceActivation/],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_what, extra, problem) => {
      const res = await as(http().post('/audits'))
        .send({ ...noPopulation(), modelVersionId: '00000000-0000-4000-8000-000000000000', ...extra })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toMatch(problem);
    });

    it('plans other cache keys for referenceHidden [8], echoes it, and trains and runs with it', async () => {
      const body = { ...data, attacks: ['membership.rmia'], referenceModels: 2 };
      const defaults = await as(http().post('/audits'))
        .send({ ...body, modelVersionId: await modelVersion(digitsModel()) })
        .expect(201);
      // Only its planned keys matter here.
      await as(http().post(`/audits/${defaults.body.id}/cancel`)).expect(200);
      const narrow = await as(http().post('/audits'))
        .send({
          ...body,
          modelVersionId: await modelVersion(digitsModel()),
          referenceHidden: [8],
          referenceActivation: 'tanh',
        })
        .expect(201);
      expect(defaults.body.referenceHidden).toBeNull();
      expect(narrow.body).toMatchObject({ referenceHidden: [8], referenceActivation: 'tanh', outputPolicy: null });
      expect(narrow.body.estimate).toMatchObject({ modelsTotal: 2 });

      const stored: Array<{ id: string; reference_hidden: unknown; reference_model_keys: string[] }> =
        await svc.db.query(`SELECT id, reference_hidden, reference_model_keys FROM audits WHERE id = ANY($1)`, [
          [defaults.body.id, narrow.body.id],
        ]);
      const row = (id: string) => stored.find((r) => r.id === id) as (typeof stored)[number];
      expect(row(narrow.body.id).reference_hidden).toEqual([8]);
      expect(row(defaults.body.id).reference_hidden).toBeNull();
      const defaultKeys = new Set(row(defaults.body.id).reference_model_keys);
      expect(row(narrow.body.id).reference_model_keys).toHaveLength(2);
      expect(row(narrow.body.id).reference_model_keys.some((k) => defaultKeys.has(k))).toBe(false);

      // Child jobs train under the planned keys (else REFERENCE_MODEL_KEY_MISMATCH); the audit finds them stored.
      const done = await finished(narrow.body.id);
      expect(done.failure).toBeNull();
      expect(done.status).toBe('succeeded');
      const report = await as(http().get(`/audits/${done.id}/report`)).expect(200);
      expect(report.body.config.referenceArchitecture).toEqual({ hidden: [8], activation: 'tanh' });
      expect(report.body.config.referenceCost).toMatchObject({ modelsTrained: 0 });
    });

    it('describes the options in the OpenAPI document', async () => {
      const doc = JSON.stringify((await http().get('/docs-json').expect(200)).body.paths['/audits']);
      for (const option of ['outputPolicy', 'referenceHidden', 'referenceActivation']) expect(doc).toContain(option);
    });
  });

  describe('string labels', () => {
    let ids: { membersDatasetId: string; nonMembersDatasetId: string; populationDatasetId: string };
    const threeClassModel = () => softmaxMlpOnnx(tinyRandomMlp(7, { nFeatures: 4, numClasses: 3 }));

    beforeAll(async () => {
      const members = await dataset('sat-members', 'members', 'classes', stringLabelCsv(1, 45)).expect(201);
      // Labels are not features: the string label column is accepted and typed as such.
      expect(members.body.columns.find((c: { name: string }) => c.name === 'classes')).toMatchObject({
        type: 'string',
      });
      ids = {
        membersDatasetId: members.body.id,
        nonMembersDatasetId: (
          await dataset('sat-nonmembers', 'non-members', 'classes', stringLabelCsv(2, 45)).expect(201)
        ).body.id,
        populationDatasetId: (
          await dataset('sat-population', 'population', 'classes', stringLabelCsv(3, 90)).expect(201)
        ).body.id,
      };
    });

    it('still refuses a string label column with a missing label, saying where', async () => {
      const res = await dataset('sat-bad', 'members', 'classes', 'x.1,x.2,classes\n1,2,a\n3,4,\n').expect(422);
      expect(res.body.code).toBe('CSV_MISSING_VALUE');
      expect(res.body.message).toMatch(/line 3 \(row 2\), column 'classes'/);
    });

    it('refuses an audit of string labels without classes with 422 saying to pass them, queueing nothing', async () => {
      const res = await as(http().post('/audits'))
        .send({ ...ids, modelVersionId: await modelVersion(threeClassModel()), attacks: ['membership.loss'] })
        .expect(422);
      expect(res.body.code).toBe('CSV_NOT_NUMERIC');
      expect(res.body.message).toMatch(/label column 'classes' holds class names.*pass `classes`/);
      expect(
        Number(
          (
            await svc.db.query(`SELECT count(*)::int AS n FROM audits WHERE members_dataset_id = $1`, [
              ids.membersDatasetId,
            ])
          )[0].n,
        ),
      ).toBe(0);
    });

    it('refuses as many class names as the model does not have with 422', async () => {
      const res = await as(http().post('/audits'))
        .send({ ...ids, modelVersionId: await modelVersion(threeClassModel()), classes: ['a', 'b'] })
        .expect(422);
      expect(res.body.code).toBe('INVALID_OPTION');
      expect(res.body.message).toMatch(/2 class names given but the model has 3 classes/);
    });

    it('runs an audit of string labels given classes, through reference-model jobs, reporting leakage by class name', async () => {
      const created = await as(http().post('/audits'))
        .send({
          ...ids,
          modelVersionId: await modelVersion(threeClassModel()),
          classes: ['a', 'b', 'c'],
          attacks: ['membership.loss', 'membership.rmia'],
          referenceModels: 1,
        })
        .expect(201);
      expect(created.body.classes).toEqual(['a', 'b', 'c']);
      // Planning read the string labels with the classes: one reference model priced.
      expect(created.body.estimate).toMatchObject({ modelsTotal: 1, modelsToTrain: 1 });
      const done = await finished(created.body.id);
      expect(done.failure).toBeNull();
      expect(done.status).toBe('succeeded');
      const report = await as(http().get(`/audits/${done.id}/report`)).expect(200);
      for (const finding of report.body.findings) {
        expect(finding.slices.byClass.map((s: { value: string }) => s.value)).toEqual(['a', 'b', 'c']);
      }
    });

    it('refuses an audit whose labels are not all among the declared classes (422 naming line, row, column)', async () => {
      const res = await as(http().post('/audits'))
        .send({
          membersDatasetId: ids.membersDatasetId,
          nonMembersDatasetId: ids.nonMembersDatasetId,
          modelVersionId: await modelVersion(threeClassModel()),
          classes: ['a', 'b', 'x'],
        })
        .expect(422);
      expect(res.body.code).toBe('LABEL_OUT_OF_RANGE');
      expect(res.body.message).toMatch(
        /^[\w.-]+\.csv line \d+ \(row \d+\), column '[^']+': label is not one of the 3 declared classes$/,
      );
    });
  });
});
