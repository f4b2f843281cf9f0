// GET /audits/:id/report.pdf and /report.html over HTTP against the real api, worker, Postgres and Redis:
// the PDF of a finished audit is a PDF whose text layer (pdftotext) carries what a regulator looks for,
// the same bytes as rendering the stored JSON anywhere else; an audit that has not succeeded gets 409.
import request from 'supertest';
import { renderReportPdf } from '../../libs/reports/src/index';
import type { AuditReport } from '../../libs/engine/src/types';
import { membershipFindings } from '../../libs/engine/src/report/findings';
import { pdfText } from '../fixtures/pdf-text';
import { uploadAuditInputs, type UploadedAuditInputs } from './support/audit-inputs';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { RunningService, startService } from './support/service-harness';
import { waitForAudit } from './support/service-requests';

jest.setTimeout(180_000);

/** supertest buffers binary bodies only when asked. */
function binary(res: request.Response, callback: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}

describe('report documents over HTTP (real Postgres, Redis, worker)', () => {
  let svc: RunningService;
  let auditorKey: string;
  let inputs: UploadedAuditInputs;
  const http = () => request(svc.baseUrl);
  const asAdmin = (r: request.Test) => r.set('x-api-key', svc.adminKey);

  beforeAll(async () => {
    svc = await startService('reports');
    auditorKey = (await asAdmin(http().post('/api-keys')).send({ name: 'auditor', role: 'auditor' }).expect(201)).body
      .key as string;
    inputs = await uploadAuditInputs(svc, digitsModelOnnx(), {
      members: digitsCsv(0, 60, { withId: true }),
      nonMembers: digitsCsv(60, 120, { withId: true }),
      idColumn: 'row_id',
    });
  });
  afterAll(async () => svc?.stop());

  async function commission(): Promise<string> {
    const created = await asAdmin(http().post('/audits'))
      .send({
        modelVersionId: inputs.versionId,
        membersDatasetId: inputs.membersId,
        nonMembersDatasetId: inputs.nonMembersId,
        seed: 5,
      })
      .expect(201);
    return created.body.id as string;
  }

  const waitForStatus = (id: string, statuses: string[], timeoutMs = 120_000) =>
    waitForAudit(svc, id, { statuses, timeoutMs });

  it('serves the PDF and HTML of a finished audit to any valid key, and 409 for one that did not succeed', async () => {
    const id = await commission();
    const done = await waitForStatus(id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    const report = (await http().get(`/audits/${id}/report`).set('x-api-key', auditorKey).expect(200))
      .body as AuditReport;

    const pdf = await http()
      .get(`/audits/${id}/report.pdf`)
      .set('x-api-key', auditorKey)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = pdf.body as Buffer;
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
    expect(Number(pdf.headers['content-length'])).toBe(bytes.length);

    const text = pdfText(bytes).replace(/\s+/g, ' ');
    expect(text).toContain('Executive summary');
    expect(text).toContain(`Risk rating: ${report.risk.rating.toUpperCase()}`);
    expect(text).toContain(report.target.sha256);
    for (const f of report.findings) expect(text).toContain(`${f.attack} - severity ${f.severity}`);

    // The stored JSON (jsonb: keys reordered) renders to the same bytes anywhere: the CLI's `privaudit report`
    // on the downloaded JSON gives the document the service served.
    expect((await renderReportPdf(report)).equals(bytes)).toBe(true);

    const html = await http().get(`/audits/${id}/report.html`).set('x-api-key', auditorKey).expect(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.text).toContain('Executive summary');
    expect(html.text).toContain(report.target.sha256);
    // A ROC chart and a member/non-member score histogram per finding, and one ROC comparing them when there
    // are several; the histograms are the worker's binned counts (never per-record scores).
    expect((html.text.match(/<svg[\s>]/g) ?? []).length).toBe(
      2 * report.findings.length + (report.findings.length > 1 ? 1 : 0),
    );
    expect(html.text).toContain('share of the group');
    for (const f of membershipFindings(report.findings)) {
      const h = f.metrics.scoreHistogram;
      expect(h?.members.reduce((a, b) => a + b, 0)).toBe(f.metrics.nMembers);
      expect(h?.nonMembers.reduce((a, b) => a + b, 0)).toBe(f.metrics.nNonMembers);
    }

    // The same authentication as the JSON report.
    await http().get(`/audits/${id}/report.pdf`).expect(401);
    await http().get(`/audits/not-a-uuid/report.pdf`).set('x-api-key', auditorKey).expect(400);
    await http()
      .get(`/audits/00000000-0000-4000-8000-000000000000/report.pdf`)
      .set('x-api-key', auditorKey)
      .expect(404);

    // An audit that has not succeeded (cancelled right after commissioning) has no document: 409.
    const unfinished = await commission();
    await asAdmin(http().post(`/audits/${unfinished}/cancel`)).expect(200);
    for (const kind of ['pdf', 'html']) {
      const refused = await http().get(`/audits/${unfinished}/report.${kind}`).set('x-api-key', auditorKey).expect(409);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(refused.body).toMatchObject({ code: 'AUDIT_NOT_FINISHED', details: { status: 'cancelled' } });
    }
  });

  it('lists the document routes in the OpenAPI document', async () => {
    const doc = await http().get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/audits/{id}/report.pdf', '/audits/{id}/report.html']),
    );
  });
});
