// Sensitive data at rest and its end (docs/security.md): datasets are stored sealed under a key of their own
// (the file on disk holds no plaintext), a tampered file stops the audit with a clear error, an audit still runs end
// to end (reference models sealed too), and DELETE destroys keys, files and everything derived, with a receipt
// stored append-only.
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { digitsCsv, memorisingDigitsModelOnnx } from './support/audit-fixtures';
import { uploadAuditInputs, type UploadedAuditInputs } from './support/audit-inputs';
import { RunningService, startService } from './support/service-harness';
import { waitForAudit } from './support/service-requests';

jest.setTimeout(240_000);

const MEMBERS = digitsCsv(0, 40, { withId: true });
const HEADER = MEMBERS.split('\n')[0] as string;

function blobFiles(storage: string): string[] {
  const root = join(storage, 'blobs');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)));
}

describe('data at rest and deletion', () => {
  let svc: RunningService;
  let ids: UploadedAuditInputs;
  const api = () => request(svc.baseUrl);

  const commission = (body: Record<string, unknown>) =>
    api().post('/audits').set('x-api-key', svc.adminKey).send(body).expect(201);

  beforeAll(async () => {
    svc = await startService('datalife');
    ids = await uploadAuditInputs(svc, memorisingDigitsModelOnnx(digitsCsv(0, 40)), {
      members: MEMBERS,
      nonMembers: digitsCsv(40, 80, { withId: true }),
      population: digitsCsv(80, 280, { withId: true }),
      idColumn: 'row_id',
    });
  });
  afterAll(async () => svc?.stop());

  it('stores each dataset sealed under its own key: no plaintext on disk, the plaintext hash kept apart', async () => {
    const rows: Array<{ id: string; sha256: string; blob_sha256: string; key_id: string; wrapped: Buffer }> =
      await svc.db.query(
        `SELECT d.id, d.sha256, d.blob_sha256, d.key_id, k.wrapped_key AS wrapped FROM datasets d JOIN data_keys k ON k.id = d.key_id`,
      );
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.key_id)).size).toBe(3);
    for (const r of rows) {
      expect(r.blob_sha256).not.toBe(r.sha256);
      expect(r.wrapped.length).toBe(61);
    }
    const files = blobFiles(svc.env.STORAGE_DIR as string);
    const datasetFiles = files.filter((f) => rows.some((r) => f.endsWith(r.blob_sha256)));
    expect(datasetFiles).toHaveLength(3);
    for (const f of files) {
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from(HEADER))).toBe(false);
      expect(bytes.includes(Buffer.from('row_id'))).toBe(false);
    }
    // Nothing left in the temp directory either (the validated plaintext upload is removed).
    expect(readdirSync(join(svc.env.STORAGE_DIR as string, 'tmp'))).toEqual([]);
  });

  let auditId: string;
  it('runs an audit end to end on sealed data, with reference models sealed and linked to their datasets', async () => {
    const created = await commission({
      modelVersionId: ids.versionId,
      membersDatasetId: ids.membersId,
      nonMembersDatasetId: ids.nonMembersId,
      populationDatasetId: ids.populationId,
      attacks: ['membership.loss', 'membership.rmia'],
      referenceModels: 1,
      referenceTraining: { epochs: 3 },
    });
    auditId = created.body.id;
    const done = await waitForAudit(svc, auditId);
    expect(done).toMatchObject({ status: 'succeeded' });
    const refs: Array<{ cache_key: string; key_id: string; sources: string[] }> = await svc.db.query(
      `SELECT r.cache_key, r.key_id, array_agg(s.dataset_id::text ORDER BY s.dataset_id) AS sources
         FROM reference_models r JOIN reference_model_sources s USING (cache_key) GROUP BY r.cache_key, r.key_id`,
    );
    expect(refs.length).toBeGreaterThanOrEqual(1);
    const membersKey = (await svc.db.query(`SELECT key_id FROM datasets WHERE id = $1`, [ids.membersId]))[0].key_id;
    for (const r of refs) {
      expect(r.key_id).toBe(membersKey);
      expect(r.sources.sort()).toEqual([ids.membersId, ids.nonMembersId, ids.populationId].sort());
    }
    const weights: Array<{ w: Buffer }> = await svc.db.query(`SELECT weights AS w FROM reference_models`);
    for (const { w } of weights) expect(w.subarray(0, 4).toString('ascii')).toBe('PAS1');
  });

  it('refuses to delete a dataset an active audit uses (409, naming the audit), and keeps it', async () => {
    await svc.db.query(`UPDATE audits SET status = 'running' WHERE id = $1`, [auditId]);
    try {
      const res = await api().delete(`/datasets/${ids.populationId}`).set('x-api-key', svc.adminKey).expect(409);
      expect(res.body).toMatchObject({ code: 'RESOURCE_IN_USE', details: { activeAudits: [auditId] } });
      expect(res.body.message).toContain(auditId);
    } finally {
      await svc.db.query(`UPDATE audits SET status = 'succeeded' WHERE id = $1`, [auditId]);
    }
    await api().get(`/datasets/${ids.populationId}`).set('x-api-key', svc.adminKey).expect(200);

    // A model's audit plan naming the dataset blocks its deletion too (re-audits would commission on nothing).
    const version = await api().get(`/model-versions/${ids.versionId}`).set('x-api-key', svc.adminKey).expect(200);
    const modelId = version.body.modelId as string;
    await api()
      .put(`/models/${modelId}/audit-plan`)
      .set('x-api-key', svc.adminKey)
      .send({ membersDatasetId: ids.membersId, nonMembersDatasetId: ids.nonMembersId, reauditOnNewVersion: false })
      .expect(200);
    const planned = await api().delete(`/datasets/${ids.nonMembersId}`).set('x-api-key', svc.adminKey).expect(409);
    expect(planned.body).toMatchObject({
      code: 'RESOURCE_IN_USE',
      details: { activeAudits: [], auditPlans: [modelId] },
    });
    await api().delete(`/models/${modelId}/audit-plan`).set('x-api-key', svc.adminKey).expect(204);
  });

  let extraVersionId: string;
  it('detects a tampered dataset: refused at commission (500), and an audit already queued fails with a clear error', async () => {
    const extra = await uploadAuditInputs(svc, memorisingDigitsModelOnnx(digitsCsv(0, 40)), {
      members: MEMBERS,
      nonMembers: digitsCsv(40, 80, { withId: true }),
      idColumn: 'row_id',
    });
    extraVersionId = extra.versionId;
    const body = {
      modelVersionId: extra.versionId,
      membersDatasetId: extra.membersId,
      nonMembersDatasetId: extra.nonMembersId,
      attacks: ['membership.loss'],
    };
    const [row] = await svc.db.query(`SELECT blob_sha256 FROM datasets WHERE id = $1`, [extra.nonMembersId]);
    const blob = blobFiles(svc.env.STORAGE_DIR as string).find((f) => f.endsWith(row.blob_sha256)) as string;
    const original = readFileSync(blob);
    const tamper = () => {
      const bytes = Buffer.from(original);
      bytes[100] = (bytes[100] as number) ^ 0xff;
      const mode = statSync(blob).mode;
      chmodSync(blob, 0o640);
      writeFileSync(blob, bytes);
      chmodSync(blob, mode);
    };
    const integrity = `the stored file of dataset 'nonmembers' failed its integrity check (chunk 0): it was modified, truncated or sealed under another key`;

    // Commissioning reads the datasets as the audit will: the tampered file is found there.
    tamper();
    const before = Number((await svc.db.query(`SELECT count(*)::int AS n FROM audits`))[0].n);
    const refused = await api().post('/audits').set('x-api-key', svc.adminKey).send(body).expect(500);
    expect(refused.body).toEqual({ statusCode: 500, code: 'STORED_DATA_UNREADABLE', message: integrity });
    expect(Number((await svc.db.query(`SELECT count(*)::int AS n FROM audits`))[0].n)).toBe(before);

    // Tampered after commissioning (the worker stopped meanwhile): the worker refuses to hand it to the model process.
    chmodSync(blob, 0o640);
    writeFileSync(blob, original);
    chmodSync(blob, 0o440);
    await svc.workers[0]?.stop();
    const created = await commission(body);
    tamper();
    await svc.startWorker();
    const done = await waitForAudit(svc, created.body.id);
    expect(done.status).toBe('failed');
    expect(done.failure).toEqual({
      code: 'STORED_DATA_UNREADABLE',
      reason: integrity.replace("dataset 'nonmembers'", `dataset 'nonmembers' (${extra.nonMembersId})`),
    });
    // The other audits and datasets are untouched.
    await api().get(`/audits/${auditId}/report`).set('x-api-key', svc.adminKey).expect(200);
  });

  it('deletes the members dataset: key destroyed, file removed, derived audits and reference models gone, receipt kept', async () => {
    const before: Array<{ key_id: string; blob_sha256: string; sha256: string }> = await svc.db.query(
      `SELECT key_id, blob_sha256, sha256 FROM datasets WHERE id = $1`,
      [ids.membersId],
    );
    const { key_id: keyId, blob_sha256: blobSha } = before[0] as { key_id: string; blob_sha256: string };
    const refCount = Number((await svc.db.query(`SELECT count(*)::int AS n FROM reference_models`))[0].n);
    const res = await api().delete(`/datasets/${ids.membersId}`).set('x-api-key', svc.adminKey).expect(200);
    const receipt = res.body;
    expect(receipt).toMatchObject({ subjectType: 'dataset', subjectId: ids.membersId, blobsRemoved: [blobSha] });
    expect(receipt.deletedBy).toEqual(expect.any(String));
    expect(receipt.sha256).toMatch(/^[0-9a-f]{64}$/);
    const types = receipt.items.map((i: { type: string }) => i.type);
    expect(types.slice(0, 2)).toEqual(['dataset', 'data-key']);
    expect(receipt.items[0]).toMatchObject({ id: ids.membersId, sha256: before[0]?.sha256, blobSha256: blobSha });
    expect(receipt.items[1]).toMatchObject({ id: keyId, masterKeyId: expect.stringMatching(/^mk-[0-9a-f]{16}$/) });
    expect(receipt.items).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'audit', id: auditId })]));
    expect(receipt.items.filter((i: { type: string }) => i.type === 'reference-model')).toHaveLength(refCount);
    expect(refCount).toBeGreaterThan(0);

    // Crypto-shredded, removed, gone.
    const [key] = await svc.db.query(`SELECT wrapped_key, destroyed_at FROM data_keys WHERE id = $1`, [keyId]);
    expect(key.wrapped_key).toBeNull();
    expect(key.destroyed_at).not.toBeNull();
    expect(blobFiles(svc.env.STORAGE_DIR as string).some((f) => f.endsWith(blobSha))).toBe(false);
    expect(Number((await svc.db.query(`SELECT count(*)::int AS n FROM reference_models`))[0].n)).toBe(0);
    await api().get(`/datasets/${ids.membersId}`).set('x-api-key', svc.adminKey).expect(404);
    await api().get(`/audits/${auditId}`).set('x-api-key', svc.adminKey).expect(404);
    // The other datasets are kept.
    await api().get(`/datasets/${ids.nonMembersId}`).set('x-api-key', svc.adminKey).expect(200);

    // The receipt reads back identical, Postgres refuses to change it, and the access log names the deletion.
    const again = await api().get(`/deletion-receipts/${receipt.id}`).set('x-api-key', svc.adminKey).expect(200);
    expect(again.body).toEqual(receipt);
    await expect(svc.db.query(`UPDATE deletion_receipts SET deleted_by = NULL`)).rejects.toThrow(/append-only/);
    await expect(svc.db.query(`DELETE FROM deletion_receipts`)).rejects.toThrow(/append-only/);
    const log = await api()
      .get('/access-log')
      .query({ resourceType: 'datasets', action: 'delete' })
      .set('x-api-key', svc.adminKey)
      .expect(200);
    expect(JSON.stringify(log.body)).toContain(ids.membersId);
    await api().delete(`/datasets/${ids.membersId}`).set('x-api-key', svc.adminKey).expect(404);
  });

  it('deletes a model with its versions, file and audits; refuses an auditor', async () => {
    const model = await api().get(`/model-versions/${ids.versionId}`).set('x-api-key', svc.adminKey).expect(200);
    const modelId = model.body.modelId as string;
    const auditor = await api()
      .post('/api-keys')
      .set('x-api-key', svc.adminKey)
      .send({ name: 'reader', role: 'auditor' })
      .expect(201);
    await api().delete(`/models/${modelId}`).set('x-api-key', auditor.body.key).expect(403);
    const res = await api().delete(`/models/${modelId}`).set('x-api-key', svc.adminKey).expect(200);
    expect(res.body).toMatchObject({ subjectType: 'model', subjectId: modelId });
    expect(res.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'model', id: modelId }),
        expect.objectContaining({ type: 'model-version', id: ids.versionId, sha256: model.body.sha256 }),
      ]),
    );
    // The same model bytes are still used by the other suite's version: the file stays until its last user goes.
    expect(res.body.blobsRemoved).toEqual([]);
    await api().get(`/model-versions/${ids.versionId}`).set('x-api-key', svc.adminKey).expect(404);
    const receipt = await api().get(`/deletion-receipts/${res.body.id}`).set('x-api-key', auditor.body.key).expect(200);
    expect(receipt.body.sha256).toBe(res.body.sha256);
  });

  it('deletes a finished audit with its findings; refuses an active one', async () => {
    const [failed] = await svc.db.query(`SELECT id FROM audits WHERE status = 'failed' LIMIT 1`);
    await svc.db.query(`UPDATE audits SET status = 'queued' WHERE id = $1`, [failed.id]);
    try {
      const busy = await api().delete(`/audits/${failed.id}`).set('x-api-key', svc.adminKey).expect(409);
      expect(busy.body).toMatchObject({ code: 'RESOURCE_IN_USE', details: { activeAudits: [failed.id] } });
    } finally {
      await svc.db.query(`UPDATE audits SET status = 'failed' WHERE id = $1`, [failed.id]);
    }
    const res = await api().delete(`/audits/${failed.id}`).set('x-api-key', svc.adminKey).expect(200);
    expect(res.body).toMatchObject({ subjectType: 'audit', items: [{ type: 'audit', id: failed.id }] });
    await api().get(`/audits/${failed.id}`).set('x-api-key', svc.adminKey).expect(404);
  });

  it('deletes a model version: the last user of its file removes the file', async () => {
    const version = await api().get(`/model-versions/${extraVersionId}`).set('x-api-key', svc.adminKey).expect(200);
    const res = await api().delete(`/model-versions/${extraVersionId}`).set('x-api-key', svc.adminKey).expect(200);
    expect(res.body).toMatchObject({ subjectType: 'model-version', subjectId: extraVersionId });
    expect(res.body.items[0]).toMatchObject({ type: 'model-version', id: extraVersionId, sha256: version.body.sha256 });
    expect(res.body.blobsRemoved).toEqual([version.body.sha256]);
    expect(blobFiles(svc.env.STORAGE_DIR as string).some((f) => f.endsWith(version.body.sha256))).toBe(false);
    await api().get(`/model-versions/${extraVersionId}`).set('x-api-key', svc.adminKey).expect(404);
  });
});
