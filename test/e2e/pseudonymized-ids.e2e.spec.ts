// Pseudonymised row ids through the service (issue 12, "Redaction"), with the real api, worker and its sandboxed
// child: the tenant's admin has a pseudonym key generated (shown once), an audit of datasets whose ids are e-mail
// addresses is commissioned with pseudonymizeIds, and neither its findings, its report (JSON, HTML, PDF), the
// database rows nor the processes' logs hold a raw id or the key; the tenant recomputes a listed pseudonym from
// its own copy of the key with plain node:crypto. Then the tenant's default, a rotation and a removal.
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { pdfText } from '../fixtures/pdf-text';
import { digitsCsv, memorisingDigitsModelOnnx } from './support/audit-fixtures';
import { type RunningService, sleep, startService } from './support/service-harness';

jest.setTimeout(240_000);

/** digitsCsv rows [from, to) with an id column of e-mail addresses (natural keys). */
function emailCsv(from: number, to: number): { csv: string; ids: string[] } {
  const [header, ...rows] = digitsCsv(from, to).trimEnd().split('\n');
  const ids = rows.map((_, i) => `person.${from + i}@clinic.example`);
  return { csv: [`email,${header}`, ...rows.map((r, i) => `${ids[i]},${r}`)].join('\n') + '\n', ids };
}

/** What the tenant computes on its own side: "ps_" + 32 hex digits of HMAC-SHA256(key, id). */
const tenantPseudonym = (keyHex: string, id: string) =>
  `ps_${createHmac('sha256', Buffer.from(keyHex, 'hex')).update(id, 'utf8').digest('hex').slice(0, 32)}`;

describe('pseudonymised row ids (real api, worker, Postgres)', () => {
  let svc: RunningService;
  const http = () => request(svc.baseUrl);
  const as = (r: request.Test) => r.set('x-api-key', svc.adminKey);
  let versionId: string;
  let membersId: string;
  let nonMembersId: string;
  let memberIds: string[];
  let allIds: string[];

  async function waitFinished(id: string) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await as(http().get(`/audits/${id}`)).expect(200);
      if (['succeeded', 'failed', 'cancelled'].includes(res.body.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`audit ${id} still ${res.body.status}`);
      await sleep(300);
    }
  }

  const commission = (extra: Record<string, unknown> = {}) =>
    as(http().post('/audits')).send({
      modelVersionId: versionId,
      membersDatasetId: membersId,
      nonMembersDatasetId: nonMembersId,
      attacks: ['membership.loss'],
      ...extra,
    });

  beforeAll(async () => {
    svc = await startService('pseudonyms');
    const members = emailCsv(0, 40);
    const nonMembers = emailCsv(40, 80);
    memberIds = members.ids;
    allIds = [...members.ids, ...nonMembers.ids];
    const modelId = (await as(http().post('/models')).send({ name: 'clinic model' }).expect(201)).body.id;
    versionId = (
      await as(http().post(`/models/${modelId}/versions`))
        .set('content-type', 'application/octet-stream')
        .send(memorisingDigitsModelOnnx(digitsCsv(0, 40)))
        .expect(201)
    ).body.id;
    const upload = async (role: string, csv: string) =>
      (
        await as(http().post('/datasets'))
          .query({ name: role, role, labelColumn: 'digit', idColumn: 'email' })
          .set('content-type', 'text/csv')
          .send(csv)
          .expect(201)
      ).body.id as string;
    membersId = await upload('members', members.csv);
    nonMembersId = await upload('non-members', nonMembers.csv);
  });
  afterAll(async () => {
    await svc?.stop();
  });

  let keyHex: string;
  let keyId: string;
  let auditId: string;

  it('refuses pseudonymizeIds while the tenant has no key (422, nothing stored)', async () => {
    await as(http().get('/tenants/current/pseudonym-key')).expect(404);
    const refused = await commission({ pseudonymizeIds: true }).expect(422);
    expect(refused.body).toMatchObject({ code: 'PSEUDONYM_KEY_MISSING', details: { field: 'pseudonymizeIds' } });
    expect(await svc.db.query(`SELECT id FROM audits`)).toEqual([]);
  });

  it('generates a key shown once, stored only wrapped, and refuses a malformed one', async () => {
    const created = await as(http().post('/tenants/current/pseudonym-key')).send({}).expect(201);
    expect(created.body).toMatchObject({ scheme: 'hmac-sha256-128', pseudonymizeByDefault: false });
    keyHex = created.body.key as string;
    keyId = created.body.keyId as string;
    expect(keyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(keyId).toMatch(/^psk_[0-9a-f]{16}$/);
    const shown = await as(http().get('/tenants/current/pseudonym-key')).expect(200);
    expect(shown.body).toMatchObject({ keyId, pseudonymizeByDefault: false });
    expect(JSON.stringify(shown.body)).not.toContain(keyHex);
    // At rest: a data key wrapped by the master key; the plain key is in no row.
    const rows = await svc.db.query(
      `SELECT k.key_id, d.wrapped_key FROM tenant_pseudonym_keys k JOIN data_keys d ON d.id = k.data_key_id`,
    );
    expect(rows).toHaveLength(1);
    expect((rows[0].wrapped_key as Buffer).includes(Buffer.from(keyHex, 'hex'))).toBe(false);
    expect(JSON.stringify(rows)).not.toContain(keyHex);
    // Malformed keys: 400 naming the field, never echoing the value; an auditor may not set one.
    const notHex = await as(http().put('/tenants/current/pseudonym-key'))
      .send({ key: 'my-secret-passphrase' })
      .expect(400);
    expect(notHex.body.message).toMatch(/^key: /);
    expect(JSON.stringify(notHex.body)).not.toContain('passphrase');
    const short = await as(http().put('/tenants/current/pseudonym-key'))
      .send({ key: 'ab'.repeat(16) })
      .expect(400);
    expect(short.body.message).toMatch(/at least 32 bytes/);
    const auditor = await as(http().post('/api-keys')).send({ name: 'reader', role: 'auditor' }).expect(201);
    await http()
      .post('/tenants/current/pseudonym-key')
      .set('x-api-key', auditor.body.key as string)
      .send({})
      .expect(403);
    expect((await as(http().get('/tenants/current/pseudonym-key')).expect(200)).body.keyId).toBe(keyId);
  });

  it('runs the audit with every row id pseudonymised: findings, report, HTML, PDF, rows and logs hold no raw id', async () => {
    const commissioned = await commission({ pseudonymizeIds: true }).expect(201);
    auditId = commissioned.body.id;
    expect(commissioned.body.pseudonymizeIds).toBe(true);
    const done = await waitFinished(auditId);
    expect(done).toMatchObject({ status: 'succeeded', pseudonymizeIds: true });

    const findings = await as(http().get(`/audits/${auditId}/findings`)).expect(200);
    const report = await as(http().get(`/audits/${auditId}/report`)).expect(200);
    const html = (await as(http().get(`/audits/${auditId}/report.html`)).expect(200)).text;
    const pdf = await as(http().get(`/audits/${auditId}/report.pdf`))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const pdfWords = pdfText(pdf.body as Buffer).replace(/\s+/g, '');

    expect(report.body.data.pseudonymizedIds).toEqual({ scheme: 'hmac-sha256-128', keyId });
    const listed: string[] = (findings.body as Array<{ mostExposed: Array<{ rowId: string }> }>).flatMap((f) =>
      f.mostExposed.map((r) => r.rowId),
    );
    expect(listed.length).toBeGreaterThan(0);
    // The tenant recomputes the pseudonyms of its own members with its copy of the key.
    const mine = new Map(memberIds.map((id) => [tenantPseudonym(keyHex, id), id]));
    for (const id of listed) expect(mine.has(id)).toBe(true);
    expect(pdfWords).toContain(listed[0]);
    expect(html).toContain(listed[0]);
    expect(html).toContain(keyId);

    const stored = JSON.stringify(
      await svc.db.query(`SELECT f.most_exposed, a.report FROM findings f JOIN audits a ON a.id = f.audit_id`),
    );
    const logs = [svc.api.output, ...svc.workers.map((w) => w.output)].join('\n');
    for (const text of [JSON.stringify(findings.body), JSON.stringify(report.body), html, pdfWords, stored, logs]) {
      expect(text).not.toContain('@clinic.example');
      expect(text).not.toContain(keyHex);
    }
    for (const id of allIds.slice(0, 10)) expect(stored).not.toContain(id);
  });

  it("pseudonymises by the tenant's default, and a rotation leaves old reports under the old key id", async () => {
    await as(http().patch('/tenants/current/pseudonym-key')).send({ pseudonymizeByDefault: true }).expect(200);
    const byDefault = await commission().expect(201);
    expect(byDefault.body.pseudonymizeIds).toBe(true);
    await waitFinished(byDefault.body.id);
    // An explicit false wins over the default.
    const plain = await commission({ pseudonymizeIds: false }).expect(201);
    expect(plain.body.pseudonymizeIds).toBe(false);
    await waitFinished(plain.body.id);
    const plainReport = await as(http().get(`/audits/${plain.body.id}/report`)).expect(200);
    expect(plainReport.body.data.pseudonymizedIds).toBeUndefined();
    expect(JSON.stringify(plainReport.body)).toContain('@clinic.example');

    // Rotation: the tenant's own key replaces the generated one, whose stored copy is destroyed.
    const ownKey = 'ab'.repeat(32);
    const rotated = await as(http().put('/tenants/current/pseudonym-key')).send({ key: ownKey }).expect(200);
    expect(rotated.body.keyId).not.toBe(keyId);
    expect(JSON.stringify(rotated.body)).not.toContain(ownKey);
    const destroyed = await svc.db.query(`SELECT count(*)::int AS n FROM data_keys WHERE destroyed_at IS NOT NULL`);
    expect(destroyed[0].n).toBe(1);
    const old = await as(http().get(`/audits/${auditId}/report`)).expect(200);
    expect(old.body.data.pseudonymizedIds.keyId).toBe(keyId);
    const next = await commission({ pseudonymizeIds: true }).expect(201);
    await waitFinished(next.body.id);
    const nextReport = await as(http().get(`/audits/${next.body.id}/report`)).expect(200);
    expect(nextReport.body.data.pseudonymizedIds.keyId).toBe(rotated.body.keyId);
    const nextIds = (nextReport.body.findings as Array<{ mostExposed: Array<{ rowId: string }> }>).flatMap((f) =>
      f.mostExposed.map((r) => r.rowId),
    );
    const mineNow = new Set(memberIds.map((id) => tenantPseudonym(ownKey, id)));
    expect(nextIds.length).toBeGreaterThan(0);
    expect(nextIds.every((id) => mineNow.has(id))).toBe(true);

    // Removal: no key, so asking for pseudonyms is refused again.
    await as(http().delete('/tenants/current/pseudonym-key')).expect(200);
    await as(http().get('/tenants/current/pseudonym-key')).expect(404);
    expect((await commission({ pseudonymizeIds: true }).expect(422)).body.code).toBe('PSEUDONYM_KEY_MISSING');
  });
});
