// The product brief's bad inputs ("Bad input gets a clear error and nothing is lost"), one test each, over HTTP:
// each is refused with its code and a message naming exactly where (file, line, row, column, field) and never a
// data value, and nothing already stored is lost: a good model, its datasets and a finished audit with its report
// read back unchanged after every refusal.
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import {
  runtimeFailure,
  runtimeMemoryBomb,
  truncatedBytes,
  withExternalDataInitializer,
  withUnknownDomainNode,
} from '../fixtures/onnx-fixtures';
import { fixtureTargetSpec, startInferenceServer, type InferenceServer } from '../fixtures/inference-servers';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';
import { waitForAudit } from './support/service-requests';

jest.setTimeout(300_000);

const HEADER = digitsCsv(0, 1).split('\n')[0] as string; // p0..p63,digit
const row = (values: Array<string | number>) => values.join(',');
/** A digits row with 64 features whose value at `feature` is replaced (label last). */
const digitsRow = (label: string | number, feature?: { index: number; value: string }) =>
  row([...Array.from({ length: 64 }, (_, i) => (feature && i === feature.index ? feature.value : '1')), label]);

describe('bad input: refused with where, nothing stored lost', () => {
  let svc: RunningService;
  let redirecting: InferenceServer;
  const api = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);
  let modelId: string;
  let versionId: string;
  let membersId: string;
  let nonMembersId: string;
  let goodAuditId: string;
  let goodReport: string;

  interface AuditBody {
    status: string;
    failure: { code: string; reason: string } | null;
  }
  const finished = (id: string): Promise<AuditBody & { failure: { code: string; reason: string } }> =>
    waitForAudit(svc, id, { timeoutMs: 240_000 });
  const uploadModel = (bytes: Uint8Array, id = modelId) =>
    as(api().post(`/models/${id}/versions`))
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from(bytes));
  const uploadCsv = (name: string, csv: string, role = 'members', idColumn?: string) =>
    as(api().post('/datasets'))
      .query({ name, role, labelColumn: 'digit', ...(idColumn ? { idColumn } : {}) })
      .set('content-type', 'text/csv')
      .send(csv);
  const counts = async () =>
    (
      await svc.db.query(
        `SELECT (SELECT count(*) FROM model_versions)::int AS versions, (SELECT count(*) FROM datasets)::int AS datasets,
                (SELECT count(*) FROM audits)::int AS audits, (SELECT count(*) FROM findings)::int AS findings`,
      )
    )[0] as Record<string, number>;

  /** The good things stored before are all still there and read back the same. */
  async function nothingLost(): Promise<void> {
    await as(api().get(`/model-versions/${versionId}`)).expect(200);
    await as(api().get(`/datasets/${membersId}`)).expect(200);
    await as(api().get(`/datasets/${nonMembersId}`)).expect(200);
    const report = await as(api().get(`/audits/${goodAuditId}/report`)).expect(200);
    expect(JSON.stringify(report.body)).toBe(goodReport);
  }
  /** Runs a refused request: nothing is added, nothing lost. */
  async function refused(send: () => Promise<request.Response>, status: number, code: string) {
    const before = await counts();
    const res = await send();
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(await counts()).toEqual(before);
    await nothingLost();
    return res.body as { message: string; details?: Record<string, unknown> };
  }

  beforeAll(async () => {
    redirecting = await startInferenceServer({ protocol: 'kserve-v2', misbehaviour: 'redirect-private' });
    svc = await startService('badinput', {
      env: {
        OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
        MAX_DATASET_BYTES: '100000',
        MAX_MODEL_BYTES: '2000000',
        DEFAULT_QUERY_BUDGET: '2000',
        MAX_QUERY_BUDGET: '5000',
        AUDIT_CHILD_ADDRESS_SPACE_MB: '4096',
      },
    });
    modelId = (await as(api().post('/models')).send({ name: 'digits' }).expect(201)).body.id;
    versionId = (await uploadModel(digitsModelOnnx()).expect(201)).body.id;
    membersId = (await uploadCsv('members', digitsCsv(0, 60, { withId: true }), 'members', 'row_id').expect(201)).body
      .id;
    nonMembersId = (
      await uploadCsv('nonmembers', digitsCsv(60, 120, { withId: true }), 'non-members', 'row_id').expect(201)
    ).body.id;
    const audit = await as(api().post('/audits'))
      .send({ modelVersionId: versionId, membersDatasetId: membersId, nonMembersDatasetId: nonMembersId })
      .expect(201);
    goodAuditId = audit.body.id;
    expect((await finished(goodAuditId)).status).toBe('succeeded');
    goodReport = JSON.stringify((await as(api().get(`/audits/${goodAuditId}/report`)).expect(200)).body);
  });
  afterAll(async () => {
    await svc?.stop();
    await redirecting?.close();
  });

  describe('model files', () => {
    it('1. a file that is not ONNX', async () => {
      const body = await refused(() => uploadModel(Buffer.from('this is not a model at all')), 422, 'MODEL_NOT_ONNX');
      // The upload is a raw body with no file name: the message names it 'model file'.
      expect(body.message).toBe('model file: not an ONNX model (it does not decode as an ONNX ModelProto)');
    });

    it('2. a truncated ONNX file', async () => {
      const body = await refused(() => uploadModel(truncatedBytes(digitsModelOnnx(), 0.5)), 422, 'MODEL_TRUNCATED');
      expect(body.message).toMatch(
        /^model file: the file ends in the middle of the ONNX model \(truncated upload or download\? \d+ bytes read\)$/,
      );
    });

    it('3. ONNX with external-data references', async () => {
      const body = await refused(
        () => uploadModel(withExternalDataInitializer(digitsModelOnnx())),
        422,
        'MODEL_EXTERNAL_DATA',
      );
      expect(body.message).toMatch(
        /^model file: tensor 'dense_0\/kernel' stores its data in an external file; only self-contained models/,
      );
      expect(body.message).not.toContain('etc/passwd');
    });

    it('4. ONNX with an unknown operator domain', async () => {
      const body = await refused(
        () => uploadModel(withUnknownDomainNode(digitsModelOnnx())),
        422,
        'MODEL_UNKNOWN_OPERATOR_DOMAIN',
      );
      expect(body.message).toMatch(
        /^model file: operator 'Exfiltrate' is from domain 'com\.evil'; only the standard domains/,
      );
    });

    it('5. a model input shape that does not match the data', async () => {
      const narrow = await as(api().post('/models')).send({ name: 'narrow' }).expect(201);
      const { softmaxMlpOnnx, tinyRandomMlp } = await import('../fixtures/onnx-fixtures');
      const v = await uploadModel(softmaxMlpOnnx(tinyRandomMlp(3, { nFeatures: 4, numClasses: 10 })), narrow.body.id);
      const body = await refused(
        () =>
          as(api().post('/audits')).send({
            modelVersionId: v.body.id,
            membersDatasetId: membersId,
            nonMembersDatasetId: nonMembersId,
          }),
        422,
        'MODEL_SHAPE_MISMATCH',
      );
      expect(body.message).toMatch(/^model expects 4 features, dataset 'members' has 64 feature columns$/);
    });
  });

  describe('CSV files', () => {
    it('6. an inconsistent column count, naming the line', async () => {
      const csv = [HEADER, digitsRow(0), digitsRow(1), '1,2,3'].join('\n') + '\n';
      const body = await refused(() => uploadCsv('short', csv), 422, 'CSV_COLUMN_COUNT');
      expect(body.message).toBe('short.csv line 4: 3 fields, header has 65');
    });

    it('7. an unclosed quote, naming the line where the record starts', async () => {
      const csv = [HEADER, digitsRow(0), `"${digitsRow(1)}`, digitsRow(2)].join('\n') + '\n';
      const body = await refused(() => uploadCsv('quote', csv), 422, 'CSV_UNCLOSED_QUOTE');
      expect(body.message).toMatch(
        /^quote\.csv line 3: a quote opened in the record starting on this line is never closed/,
      );
    });

    it('8. a duplicate header, naming both columns', async () => {
      const csv = `${HEADER.replace('p1,', 'p0,')}\n${digitsRow(0)}\n`;
      const body = await refused(() => uploadCsv('dupheader', csv), 422, 'CSV_DUPLICATE_HEADER');
      expect(body.message).toBe("dupheader.csv line 1: header 'p0' appears twice (columns 1 and 2)");
    });

    it('9. NaN in a numeric column, naming line, row and column but not the value', async () => {
      const csv = [HEADER, digitsRow(0), digitsRow(1, { index: 5, value: 'NaN' })].join('\n') + '\n';
      const body = await refused(() => uploadCsv('nan', csv), 422, 'CSV_NON_FINITE');
      expect(body.message).toMatch(/^nan\.csv line 3 \(row 2\), column 'p5': value is NaN or infinite/);
      expect(body.details).toMatchObject({ location: { file: 'nan.csv', line: 3, row: 2, column: 'p5' } });
    });

    it('10. Infinity in a numeric column, naming line, row and column', async () => {
      const csv = [HEADER, digitsRow(0), digitsRow(1), digitsRow(2, { index: 63, value: '-Infinity' })].join('\n');
      const body = await refused(() => uploadCsv('inf', csv), 422, 'CSV_NON_FINITE');
      expect(body.message).toMatch(/^inf\.csv line 4 \(row 3\), column 'p63': value is NaN or infinite/);
      expect(body.message).not.toContain('Infinity');
    });

    it("11. labels outside the model's classes, refused at commission naming line, row and column", async () => {
      const rows = Array.from({ length: 30 }, (_, i) => `b${i},${digitsRow(i === 17 ? 12 : i % 10)}`);
      const csv = [`row_id,${HEADER}`, ...rows].join('\n') + '\n';
      const badLabels = (await uploadCsv('badlabels', csv, 'members', 'row_id').expect(201)).body.id;
      const body = await refused(
        () =>
          as(api().post('/audits')).send({
            modelVersionId: versionId,
            membersDatasetId: badLabels,
            nonMembersDatasetId: nonMembersId,
          }),
        422,
        'LABEL_OUT_OF_RANGE',
      );
      expect(body.message).toMatch(
        /^badlabels\.csv line 19 \(row 18\), column 'digit': label is not an integer in \[0, 9\] \(the model's classes\)$/,
      );
      expect(body.message).not.toMatch(/\b12\b/);
    });

    it('12. the same row id among members and non-members, naming both files', async () => {
      const overlap = (
        await uploadCsv('overlap', digitsCsv(30, 90, { withId: true }), 'non-members', 'row_id').expect(201)
      ).body.id;
      const before = await counts();
      // Refused at commission (the engine's planAudit reads every dataset as the audit will): nothing is queued.
      const res = await as(api().post('/audits'))
        .send({ modelVersionId: versionId, membersDatasetId: membersId, nonMembersDatasetId: overlap })
        .expect(422);
      expect(res.body.code).toBe('MEMBERS_NONMEMBERS_OVERLAP');
      expect(res.body.message).toMatch(
        /^30 row id\(s\) appear both among the members \(members\.csv\) and the non-members \(overlap\.csv\)/,
      );
      expect(await counts()).toEqual(before);
      await nothingLost();
    });

    it('13. identical records under different ids are not an error: counted and handled on purpose', async () => {
      const copies = digitsCsv(0, 20)
        .trim()
        .split('\n')
        .slice(1)
        .map((r, i) => `copy${i},${r}`);
      const csv = [`row_id,${HEADER}`, ...digitsCsv(120, 160, { withId: true }).trim().split('\n').slice(1), ...copies];
      const dupes = (await uploadCsv('dupes', csv.join('\n') + '\n', 'non-members', 'row_id').expect(201)).body.id;
      const created = await as(api().post('/audits'))
        .send({ modelVersionId: versionId, membersDatasetId: membersId, nonMembersDatasetId: dupes })
        .expect(201);
      const done = await finished(created.body.id);
      expect(done.status).toBe('succeeded');
      const report = (await as(api().get(`/audits/${created.body.id}/report`)).expect(200)).body;
      // The 20 copies of members' records under other ids: counted, and (policy 'exclude') left out of the scoring.
      expect(report.data.duplicates).toMatchObject({
        policy: 'exclude',
        nonMembersMatchingMembers: 20,
        excludedNonMembers: 20,
      });
      await nothingLost();
    });

    it('14. too few rows for the requested attack', async () => {
      const tiny = (await uploadCsv('tiny', digitsCsv(200, 203, { withId: true }), 'non-members', 'row_id').expect(201))
        .body.id;
      const created = await as(api().post('/audits'))
        .send({ modelVersionId: versionId, membersDatasetId: membersId, nonMembersDatasetId: tiny })
        .catch((e: { response: request.Response }) => e.response);
      const failure =
        created.status === 201
          ? (await finished(created.body.id)).failure
          : { code: created.body.code, reason: created.body.message };
      expect(failure.code).toBe('TOO_FEW_ROWS');
      expect(failure.reason).toMatch(/^tiny\.csv has 3 rows, .* needs at least \d+/);
      await nothingLost();
    });

    it('15. an upload over the size limit: 413 before the body is read', async () => {
      const before = await counts();
      // Declares 10 MB, sends 1 KB and keeps the request open: the answer must come without the rest of the body.
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL('/datasets?name=big&role=members&labelColumn=digit', svc.baseUrl);
        const req = httpRequest(
          {
            hostname: url.hostname,
            port: url.port,
            path: `${url.pathname}${url.search}`,
            method: 'POST',
            headers: { 'x-api-key': svc.adminKey, 'content-type': 'text/csv', 'content-length': 10_000_000 },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString('utf8')));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.write(`${HEADER}\n`.repeat(4));
      });
      expect(status).toBe(413);
      expect(JSON.parse(body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(await counts()).toEqual(before);
      await nothingLost();
    });
  });

  describe('remote targets and budgets', () => {
    it.each([
      ['16. a URL on a loopback address', 'https://localhost/', /^remote target localhost: refused: .*loopback/],
      ['17. a URL on a private address', 'https://10.1.2.3/v2', /^remote target 10\.1\.2\.3: refused: .*private/],
      [
        '18. a URL on the cloud metadata address',
        'https://169.254.169.254/latest',
        /^remote target 169\.254\.169\.254: refused: .*cloud metadata/,
      ],
    ])('%s', async (_what, url, where) => {
      const body = await refused(
        () =>
          as(api().post(`/models/${modelId}/endpoint-versions`)).send({
            url,
            protocol: 'kserve-v2',
            modelName: 'm',
            numClasses: 10,
            nFeatures: 64,
          }),
        422,
        'TARGET_DESTINATION_REFUSED',
      );
      expect(body.message).toMatch(where);
    });

    it('19. an endpoint that redirects to the metadata address: the audit fails, the redirect is not followed', async () => {
      const v = await as(api().post(`/models/${modelId}/endpoint-versions`))
        .send({ ...fixtureTargetSpec(redirecting, 'kserve-v2'), numClasses: 10, nFeatures: 64 })
        .expect(201);
      const created = await as(api().post('/audits'))
        .send({ modelVersionId: v.body.id, membersDatasetId: membersId, nonMembersDatasetId: nonMembersId })
        .expect(201);
      const done = await finished(created.body.id);
      expect(done.failure.code).toBe('TARGET_FAILED');
      expect(done.failure.reason).toMatch(/answered a redirect \(HTTP 302\); redirects are never followed/);
      await nothingLost();
    });

    it('20. a query budget above the configured maximum, naming the field', async () => {
      const v = await as(api().post(`/models/${modelId}/endpoint-versions`))
        .send({ ...fixtureTargetSpec(redirecting, 'kserve-v2'), numClasses: 10, nFeatures: 64 })
        .expect(201);
      const body = await refused(
        () =>
          as(api().post('/audits')).send({
            modelVersionId: v.body.id,
            membersDatasetId: membersId,
            nonMembersDatasetId: nonMembersId,
            queryBudget: 5001,
          }),
        422,
        'QUERY_BUDGET_TOO_LARGE',
      );
      expect(body.message).toBe('queryBudget 5001 is above the maximum of 5000 queries per audit (MAX_QUERY_BUDGET)');
      expect(body.details).toEqual({ queryBudget: 5001, maxQueryBudget: 5000 });
    });
  });

  describe('audits', () => {
    it("21. a second running audit of the same model version: 409 with the existing audit's id", async () => {
      await svc.db.query(`UPDATE audits SET status = 'running' WHERE id = $1`, [goodAuditId]);
      const before = await counts();
      let res: request.Response;
      try {
        res = await as(api().post('/audits')).send({
          modelVersionId: versionId,
          membersDatasetId: membersId,
          nonMembersDatasetId: nonMembersId,
        });
      } finally {
        await svc.db.query(`UPDATE audits SET status = 'succeeded' WHERE id = $1`, [goodAuditId]);
      }
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'AUDIT_ALREADY_ACTIVE' });
      expect(res.body.details).toEqual({ existingAuditId: goodAuditId });
      expect(res.body.message).toBe(
        `model version ${versionId} already has a queued or running audit (${goodAuditId})`,
      );
      expect(await counts()).toEqual(before);
      await nothingLost();
    });

    it.each([
      [
        '22. a model that fails at run time',
        () => runtimeFailure(digitsModelOnnx()),
        /^MODEL_RUNTIME_FAILURE: model file: inference failed on rows \d+-\d+: /,
      ],
      [
        '23. a memory-hungry model',
        () => runtimeMemoryBomb(digitsModelOnnx(), 1000),
        /^MODEL_RESOURCE_LIMIT: model file: inference failed on rows 1-60: the model needed more memory than the audit process may use/,
      ],
    ])('%s fails its audit, not the worker', async (_what, model, code) => {
      const m = await as(api().post('/models')).send({ name: 'hostile' }).expect(201);
      const v = await uploadModel(model(), m.body.id).expect(201);
      const created = await as(api().post('/audits'))
        .send({ modelVersionId: v.body.id, membersDatasetId: membersId, nonMembersDatasetId: nonMembersId })
        .expect(201);
      const done = await finished(created.body.id);
      expect(done.status).toBe('failed');
      expect(`${done.failure.code}: ${done.failure.reason}`).toMatch(code);
      expect(svc.workers[0]?.child.exitCode).toBeNull();
      await nothingLost();
    });
  });
});
