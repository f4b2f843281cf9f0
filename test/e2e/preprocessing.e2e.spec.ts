// Raw tables in the service: a model version carries a preprocessing spec (PUT /model-versions/:id/preprocessing,
// checked against its input width and set once), raw CSVs with string categories and NA cells upload, an
// audit commissioned against the version reads them through the spec (a bad cell is a 422 naming line and
// column, not a failed audit) and the worker's report records the spec's sha256.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { PENGUINS_SPEC, trainPenguinsTarget, writePenguinSplit } from '../fixtures/penguins';
import { digitsModelOnnx } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';
import { createModel, uploadModelVersion, waitForAudit } from './support/service-requests';

jest.setTimeout(240_000);

describe('raw tables through a model version preprocessing spec', () => {
  let svc: RunningService;
  let dir: string;
  let csv: { members: string; nonMembers: string; population: string };
  let model: Buffer;
  const spec = readFileSync(PENGUINS_SPEC);
  const http = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'privaudit-e2e-raw-'));
    const split = await writePenguinSplit(dir, 7);
    model = Buffer.from(await trainPenguinsTarget(split.members, 7, 60));
    csv = {
      members: readFileSync(split.members, 'utf8'),
      nonMembers: readFileSync(split.nonMembers, 'utf8'),
      population: readFileSync(split.population, 'utf8'),
    };
    svc = await startService('preprocessing');
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function modelVersion(bytes: Buffer): Promise<string> {
    return (await uploadModelVersion(svc, await createModel(svc, 'penguins'), bytes)).id;
  }

  // As text: superagent would serialise a Buffer to JSON ({"type":"Buffer",...}); the bytes sent are the file's.
  const putSpec = (versionId: string, body: Buffer) =>
    as(http().put(`/model-versions/${versionId}/preprocessing`))
      .set('content-type', 'application/json')
      .send(body.toString('utf8'));

  const dataset = (name: string, role: string, body: string) =>
    as(http().post('/datasets'))
      .query({ name, role, labelColumn: 'species', idColumn: 'id' })
      .set('content-type', 'text/csv')
      .send(body);

  const finished = (id: string, timeoutMs = 180_000) => waitForAudit(svc, id, { timeoutMs });

  it('stores the spec on the version, uploads raw CSVs, and audits them to a report that records the spec', async () => {
    const versionId = await modelVersion(model);
    const set = await putSpec(versionId, spec).expect(200);
    const sha256 = createHash('sha256').update(spec).digest('hex');
    expect(set.body.preprocessing).toMatchObject({ sha256, inputs: 15, labelColumn: 'species' });
    expect(set.body.preprocessing.rawColumns).toHaveLength(7);
    // Idempotent for the same bytes; the stored spec reads back as uploaded.
    await putSpec(versionId, spec).expect(200);
    expect((await as(http().get(`/model-versions/${versionId}/preprocessing`)).expect(200)).body).toEqual(
      JSON.parse(spec.toString('utf8')),
    );

    const members = (await dataset('members', 'members', csv.members).expect(201)).body;
    expect(members.columns.find((c: { name: string }) => c.name === 'sex')).toMatchObject({ type: 'string' });
    const nonMembers = (await dataset('nonmembers', 'non-members', csv.nonMembers).expect(201)).body;
    const population = (await dataset('population', 'population', csv.population).expect(201)).body;

    const audit = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: members.id,
        nonMembersDatasetId: nonMembers.id,
        populationDatasetId: population.id,
        attacks: ['membership.loss', 'membership.rmia'],
        referenceModels: 2,
        groupColumn: 'sex',
      })
      .expect(201);
    const done = await finished(audit.body.id);
    expect(done.failureReason ?? null).toBeNull();
    expect(done.status).toBe('succeeded');
    const report = (await as(http().get(`/audits/${audit.body.id}/report`)).expect(200)).body;
    expect(report.data.preprocessing).toEqual({ name: 'preprocessing.json', sha256, features: 7, inputs: 15 });
    expect(report.data.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    const loss = report.findings.find((f: { attack: string }) => f.attack === 'membership.loss');
    for (const r of loss.mostExposed) expect(r.rowId).toMatch(/^penguin-\d+$/);
    expect(loss.slices.byClass.map((s: { value: string }) => s.value)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(loss.slices.byGroup.map((s: { value: string }) => s.value)).toEqual(
      expect.arrayContaining(['female', 'male']),
    );
  });

  it('refuses a spec of another width (naming both widths), a second, different spec, and an oversize body (413)', async () => {
    const digitsVersion = await modelVersion(digitsModelOnnx());
    const wrong = await putSpec(digitsVersion, spec).expect(422);
    expect(wrong.body.message).toBe(
      'preprocessing spec preprocessing.json encodes 15 model inputs (7 raw columns), but model version 1 expects 64',
    );
    expect((await as(http().get(`/model-versions/${digitsVersion}`)).expect(200)).body.preprocessing).toBeNull();

    const versionId = await modelVersion(model);
    await putSpec(versionId, spec).expect(200);
    const other = Buffer.from(JSON.stringify(JSON.parse(spec.toString('utf8'))));
    const conflict = await putSpec(versionId, other).expect(409);
    expect(conflict.body.message).toMatch(/already has a different preprocessing spec/);
    // Over the JSON body limit: refused from Content-Length, before the body is read.
    const huge = Buffer.from(JSON.stringify({ ...JSON.parse(spec.toString('utf8')), padding: 'x'.repeat(200_000) }));
    await putSpec(versionId, huge).expect(413);
  });

  it('refuses at commission a raw cell the spec cannot encode (line and column, never the value), and raw tables for a version without a spec', async () => {
    const versionId = await modelVersion(model);
    await putSpec(versionId, spec).expect(200);
    const lines = csv.nonMembers.split('\n');
    lines[3] = (lines[3] as string).replace(/,(Biscoe|Dream|Torgersen),/, ',Atlantis,');
    const members = (await dataset('members-2', 'members', csv.members).expect(201)).body;
    const unknown = (await dataset('nonmembers-unknown', 'non-members', lines.join('\n')).expect(201)).body;
    const refused = await as(http().post('/audits'))
      .send({
        modelVersionId: versionId,
        membersDatasetId: members.id,
        nonMembersDatasetId: unknown.id,
        attacks: ['membership.loss'],
      })
      .expect(422);
    expect(refused.body.message).toBe(
      "nonmembers-unknown.csv line 4 (row 3), column 'island': value is not one of the 3 categories listed in preprocessing spec preprocessing.json",
    );
    expect(JSON.stringify(refused.body)).not.toContain('Atlantis');

    const bare = await modelVersion(model);
    const nonMembers = (await dataset('nonmembers-2', 'non-members', csv.nonMembers).expect(201)).body;
    const noSpec = await as(http().post('/audits'))
      .send({
        modelVersionId: bare,
        membersDatasetId: members.id,
        nonMembersDatasetId: nonMembers.id,
        attacks: ['membership.loss'],
        classes: ['Adelie', 'Chinstrap', 'Gentoo'],
      })
      .expect(422);
    expect(noSpec.body.message).toContain(
      `has no preprocessing spec to encode it; set one with PUT /model-versions/${bare}/preprocessing`,
    );
  });
});
