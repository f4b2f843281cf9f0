// The requests the service suites repeat to set up what they test: a model, a version, a dataset, and waiting for
// an audit to end. Each expects its success status, so a suite's set-up fails at the step that went wrong. The
// caller is the installation admin unless another api key is given. (Suites testing these routes' own answers
// send their requests themselves.)
import request from 'supertest';
import { sleep, type RunningService } from './service-harness';

/** A response body as supertest gives it (parsed JSON). */
type Body = request.Response['body'];

export const FINAL_AUDIT_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

/** POST /models; the new model's id. */
export async function createModel(svc: RunningService, name: string, key = svc.adminKey): Promise<string> {
  return (await request(svc.baseUrl).post('/models').set('x-api-key', key).send({ name }).expect(201)).body
    .id as string;
}

/** POST /models/:id/versions with the ONNX bytes; the new version (its id, and the re-audit it queued if any). */
export async function uploadModelVersion(
  svc: RunningService,
  modelId: string,
  onnx: Uint8Array,
  key = svc.adminKey,
): Promise<Body> {
  return (
    await request(svc.baseUrl)
      .post(`/models/${modelId}/versions`)
      .set('x-api-key', key)
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from(onnx))
      .expect(201)
  ).body;
}

/** POST /datasets with a CSV body (label column `digit` unless said); the new dataset's id. */
export async function uploadDataset(
  svc: RunningService,
  dataset: { name: string; role: string; csv: string; labelColumn?: string; idColumn?: string },
  key = svc.adminKey,
): Promise<string> {
  const { name, role, csv, labelColumn = 'digit', idColumn } = dataset;
  return (
    await request(svc.baseUrl)
      .post('/datasets')
      .query({ name, role, labelColumn, ...(idColumn ? { idColumn } : {}) })
      .set('x-api-key', key)
      .set('content-type', 'text/csv')
      .send(csv)
      .expect(201)
  ).body.id as string;
}

/** Polls GET /audits/:id until its status is one of `statuses` (an end by default); the audit resource then. */
export async function waitForAudit(
  svc: RunningService,
  id: string,
  opts: { key?: string; statuses?: readonly string[]; timeoutMs?: number } = {},
): Promise<Body> {
  const { key = svc.adminKey, statuses = FINAL_AUDIT_STATUSES, timeoutMs = 180_000 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(svc.baseUrl).get(`/audits/${id}`).set('x-api-key', key).expect(200);
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`audit ${id} still ${res.body.status}`);
    await sleep(300);
  }
}
