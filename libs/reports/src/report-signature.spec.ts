import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport } from '../../engine/src/types';
import { renderReportPdf } from './render-pdf';
import {
  canonicalJson,
  parseDetachedSignature,
  parsePublicKey,
  parseSigningKey,
  publicKeyPem,
  reportContentSha256,
  ReportSignatureError,
  signDocument,
  signReport,
  verifyDocument,
  verifyReportJson,
} from './report-signature';

jest.setTimeout(60_000);

const DEMO_REPORT_TEXT = readFileSync(join(__dirname, '../../../test/fixtures/demo-report.json'), 'utf8');
const demoReport = (): AuditReport => JSON.parse(DEMO_REPORT_TEXT) as AuditReport;
const newKey = (): KeyObject => generateKeyPairSync('ed25519').privateKey;

/** Reverses every object's key order, as a database's jsonb or another writer might. */
function reorderKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorderKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorderKeys(v)]),
    );
  }
  return value;
}

/** The text with the byte at `index` replaced by another digit/letter of the same class. */
function flipByte(text: string, index: number): string {
  const c = text[index]!;
  const replacement = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c === 'a' ? 'b' : 'a';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

function expectRejected(fn: () => unknown, pattern: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ReportSignatureError);
  const message = (thrown as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toMatch(/\n/);
}

describe('canonical report hash', () => {
  it('is independent of key order and indentation and changes with any content', () => {
    const report = demoReport();
    const sha = reportContentSha256(report);
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(reportContentSha256(reorderKeys(report) as AuditReport)).toBe(sha);
    expect(reportContentSha256(JSON.parse(JSON.stringify(report, null, 4)) as AuditReport)).toBe(sha);
    expect(reportContentSha256({ ...report, risk: { ...report.risk, score: report.risk.score + 1 } })).not.toBe(sha);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }] })).toBe('{"a":[{"c":"x","d":2}],"b":1}');
  });
});

describe('signed report JSON', () => {
  const key = newKey();

  it('keeps every schemaVersion 1 field and verifies, also after jsonb-style key reordering and re-indentation', () => {
    const report = demoReport();
    const signed = signReport(report, key);
    const { signature, ...rest } = signed;
    expect(rest).toEqual(report);
    expect(signature.reportSha256).toBe(reportContentSha256(report));
    expect(verifyReportJson(signed, 'report.json')).toMatchObject({
      pinned: false,
      reportSha256: signature.reportSha256,
    });
    expect(verifyReportJson(reorderKeys(JSON.parse(JSON.stringify(signed))), 'report.json', key)).toMatchObject({
      pinned: true,
    });
    const publicOnly = parsePublicKey(publicKeyPem(key), 'pub.pem');
    expect(verifyReportJson(JSON.parse(JSON.stringify(signed, null, 2)), 'report.json', publicOnly).keyId).toBe(
      signature.keyId,
    );
  });

  it('fails when one byte of the content changes (risk score digit, rating letter, a finding metric)', () => {
    const text = JSON.stringify(signReport(demoReport(), key), null, 2);
    for (const needle of [/"score": (\d)/, /"rating": "(\w)/, /"auc": 0\.(\d)/]) {
      const m = needle.exec(text)!;
      const index = m.index + m[0].length - 1;
      const tampered = JSON.parse(flipByte(text, index)) as unknown;
      expectRejected(() => verifyReportJson(tampered, 'report.json'), /report\.json was changed after signing/);
    }
  });

  it('fails under the wrong key, with a forged statement, and when unsigned', () => {
    const signed = signReport(demoReport(), key);
    expectRejected(() => verifyReportJson(signed, 'report.json', newKey()), /not by the given public key/);
    // Re-hashing the tampered content into the statement does not help without the private key.
    const tampered = { ...signed, risk: { ...signed.risk, score: 0, rating: 'low' as const } };
    const forged = { ...tampered, signature: { ...signed.signature, reportSha256: reportContentSha256(tampered) } };
    expectRejected(() => verifyReportJson(forged, 'report.json'), /signature does not verify/);
    // Nor does swapping in another key's public half.
    const other = signReport(tampered, newKey());
    const swapped = { ...tampered, signature: { ...other.signature, keyId: signed.signature.keyId } };
    expectRejected(() => verifyReportJson(swapped, 'report.json'), /publicKey does not match its keyId/);
    expectRejected(() => verifyReportJson(demoReport(), 'report.json'), /not signed/);
  });
});

describe('detached signature of a PDF', () => {
  const key = newKey();

  it('verifies the PDF it was made for; one flipped byte, another PDF or the wrong key fail', async () => {
    const report = demoReport();
    const pdf = await renderReportPdf(report);
    const sig = parseDetachedSignature(JSON.stringify(signDocument(pdf, 'report.pdf', report, key)), 'report.pdf.sig');
    expect(sig.reportSha256).toBe(reportContentSha256(report));
    expect(verifyDocument(pdf, sig, 'report.pdf', key).pinned).toBe(true);

    const flipped = Buffer.from(pdf);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    expectRejected(() => verifyDocument(flipped, sig, 'report.pdf'), /report\.pdf was changed after signing/);
    expectRejected(() => verifyDocument(pdf, sig, 'report.pdf', newKey()), /not by the given public key/);
    const forged = { ...sig, fileSha256: 'f'.repeat(64) };
    expectRejected(() => verifyDocument(pdf, forged, 'report.pdf'), /changed after signing/);
    expectRejected(() => parseDetachedSignature('{"format":"x"}', 'report.pdf.sig'), /not a privaudit signature/);
  });
});

describe('keys', () => {
  it('reads Ed25519 PEM keys and refuses other keys with one line', () => {
    const pem = newKey().export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(parseSigningKey(pem, 'key.pem').asymmetricKeyType).toBe('ed25519');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expectRejected(() => parseSigningKey(rsa, 'rsa.pem'), /rsa\.pem is a rsa key; reports are signed with Ed25519/);
    expectRejected(() => parseSigningKey('not a key', 'bad.pem'), /bad\.pem is not a PEM private key/);
  });
});
