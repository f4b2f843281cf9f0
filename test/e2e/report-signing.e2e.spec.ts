// Tamper evidence over HTTP against the real api, worker, Postgres and Redis: the worker signs each succeeded
// audit's report JSON with the service's Ed25519 key and stores its sha256 in the same transaction; the api
// serves detached signatures of the PDF/HTML and the public key. `privaudit verify` (the built CLI, as a user
// runs it) accepts what the service served and refuses it once a byte changed or under another key.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parsePublicKey, reportContentSha256, verifyReportJson } from '../../libs/reports/src/index';
import { uploadAuditInputs, type UploadedAuditInputs } from './support/audit-inputs';
import { digitsCsv, digitsModelOnnx } from './support/audit-fixtures';
import { API_ENTRY, RunningService, startService } from './support/service-harness';
import { waitForAudit } from './support/service-requests';

jest.setTimeout(180_000);

const CLI = resolve(__dirname, '../../bin/privaudit.js');

function binary(res: request.Response, callback: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}

function verifyCli(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'verify', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('signed reports over HTTP (real Postgres, Redis, worker)', () => {
  let svc: RunningService;
  let inputs: UploadedAuditInputs;
  let dir: string;
  const http = () => request(svc.baseUrl);
  const asAdmin = (r: request.Test) => r.set('x-api-key', svc.adminKey);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'privaudit-signing-e2e-'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'service-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'expected.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      join(dir, 'other.pub.pem'),
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    svc = await startService('signing', { env: { REPORT_SIGNING_KEY_FILE: join(dir, 'service-key.pem') } });
    inputs = await uploadAuditInputs(svc, digitsModelOnnx(), {
      members: digitsCsv(0, 60, { withId: true }),
      nonMembers: digitsCsv(60, 120, { withId: true }),
      idColumn: 'row_id',
    });
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitForStatus = (id: string, statuses: string[], timeoutMs = 120_000) =>
    waitForAudit(svc, id, { statuses, timeoutMs });

  it('signs the report, stores its sha256, serves verifiable documents; a changed byte or another key fails', async () => {
    const created = await asAdmin(http().post('/audits'))
      .send({
        modelVersionId: inputs.versionId,
        membersDatasetId: inputs.membersId,
        nonMembersDatasetId: inputs.nonMembersId,
        attacks: ['membership.loss'],
        seed: 3,
      })
      .expect(201);
    const id = created.body.id as string;
    expect(created.body.reportSha256).toBeNull();
    const done = await waitForStatus(id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');

    const published = (await http().get('/signing-key').expect(200)).body;
    expect(published.keyId).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(dir, 'published.pub.pem'), published.publicKeyPem);

    // The stored report (jsonb: keys reordered) verifies under the service's key; its sha256 is in Postgres and on
    // the audit resource.
    const reportRes = await asAdmin(http().get(`/audits/${id}/report`)).expect(200);
    const report = reportRes.body as Record<string, unknown> & { signature: { keyId: string } };
    const servicePub = parsePublicKey(published.publicKeyPem as string, 'published');
    const verified = verifyReportJson(report, 'report.json', servicePub);
    expect(report.schemaVersion).toBe(1);
    expect(report.signature.keyId).toBe(published.keyId);
    const rows: Array<{ report_sha256: string }> = await svc.db.query(
      `SELECT report_sha256 FROM audits WHERE id = $1`,
      [id],
    );
    expect(rows[0]!.report_sha256).toBe(verified.reportSha256);
    expect(done.reportSha256).toBe(verified.reportSha256);

    // The CLI, as a user runs it, on the files the service served.
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2));
    const pdf = await asAdmin(http().get(`/audits/${id}/report.pdf`))
      .buffer(true)
      .parse(binary)
      .expect(200);
    writeFileSync(join(dir, 'report.pdf'), pdf.body as Buffer);
    const sig = await asAdmin(http().get(`/audits/${id}/report.pdf.sig`)).expect(200);
    writeFileSync(join(dir, 'report.pdf.sig'), JSON.stringify(sig.body));
    const html = await asAdmin(http().get(`/audits/${id}/report.html`)).expect(200);
    writeFileSync(join(dir, 'report.html'), html.text);
    const htmlSig = await asAdmin(http().get(`/audits/${id}/report.html.sig`)).expect(200);
    writeFileSync(join(dir, 'report.html.sig'), JSON.stringify(htmlSig.body));
    expect(sig.body.reportSha256).toBe(verified.reportSha256);

    for (const file of ['report.json', 'report.pdf', 'report.html']) {
      const ok = verifyCli(dir, [file, '--public-key', 'expected.pub.pem']);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain(`report sha256 ${verified.reportSha256}`);
      const wrongKey = verifyCli(dir, [file, '--public-key', 'other.pub.pem']);
      expect(wrongKey.status).toBe(4);
      expect(wrongKey.stderr).toMatch(/^privaudit: error: [^\n]*not by the given public key[^\n]*\n$/);
    }

    const pdfBytes = Buffer.from(pdf.body as Buffer);
    pdfBytes[Math.floor(pdfBytes.length / 3)] ^= 0x01;
    writeFileSync(join(dir, 'report.pdf'), pdfBytes);
    const tamperedPdf = verifyCli(dir, ['report.pdf', '--public-key', 'expected.pub.pem']);
    expect(tamperedPdf.status).toBe(4);
    expect(tamperedPdf.stderr).toMatch(/report\.pdf was changed after signing/);

    // Someone edits the stored report in the database: it no longer matches its signature nor the stored sha256.
    await svc.db.query(
      `UPDATE audits SET report = jsonb_set(report, '{risk,score}', to_jsonb((report #>> '{risk,score}')::numeric + 1)) WHERE id = $1`,
      [id],
    );
    const edited = (await asAdmin(http().get(`/audits/${id}/report`)).expect(200)).body as Record<string, unknown>;
    expect(reportContentSha256(edited)).not.toBe(rows[0]!.report_sha256);
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(edited));
    const tamperedJson = verifyCli(dir, ['edited.json', '--public-key', 'expected.pub.pem']);
    expect(tamperedJson.status).toBe(4);
    expect(tamperedJson.stderr).toMatch(/edited\.json was changed after signing/);
  });

  it('refuses to start with a signing key file that is not an Ed25519 private key (exit 78, one line)', () => {
    writeFileSync(
      join(dir, 'rsa.pem'),
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }),
    );
    const r = spawnSync(process.execPath, [API_ENTRY], {
      env: { ...svc.env, PORT: '0', REPORT_SIGNING_KEY_FILE: join(dir, 'rsa.pem') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(
      /^privaudit: invalid configuration: REPORT_SIGNING_KEY_FILE holds a rsa key, not Ed25519\n$/,
    );
    expect(r.stderr).not.toContain('PRIVATE KEY');
  });
});
