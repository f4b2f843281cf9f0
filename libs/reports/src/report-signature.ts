// Tamper evidence for reports: an Ed25519 signature (node:crypto) over a small statement of hashes.
//
// - report.json carries its signature inside, as the top-level field `signature` (added beside the schemaVersion 1
//   fields; nothing else changes). The statement names the sha256 of the report's canonical JSON without that
//   field, so the key order of a database's jsonb or the file's indentation changes nothing, and any change of
//   content does.
// - report.pdf / report.html are signed by a detached file beside them, `<file>.sig` (JSON): the statement
//   names the sha256 of the document's bytes (and, for information, the sha256 of the report it renders).
//
// What is signed is always the canonical JSON of the signature object without its `value`: the signer's key id
// and public key are inside the statement, so a signature cannot be moved to another key.
import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import { z } from 'zod';
import type { AuditReport } from '../../engine/src/types';

export const SIGNATURE_ALGORITHM = 'Ed25519' as const;
/**
 * Object keys sorted by UTF-16 code units at every level, no whitespace, strings and numbers as ECMAScript's
 * JSON.stringify writes them: the rules of RFC 8785 (JSON Canonicalization Scheme) for the data a report holds.
 */
export const CANONICALIZATION = 'rfc8785' as const;
export const SIGNATURE_FILE_FORMAT = 'privaudit-signature' as const;
export const SIGNATURE_FILE_SUFFIX = '.sig';

/** The `signature` field of a signed report JSON. */
export interface EmbeddedReportSignature {
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  readonly canonicalization: typeof CANONICALIZATION;
  readonly subject: 'report.json';
  /** sha256 (hex) of the canonical JSON of the report without `signature`. */
  readonly reportSha256: string;
  /** sha256 (hex) of the public key's SPKI DER encoding. */
  readonly keyId: string;
  /** The public key, SPKI DER in base64: verifies alone; pin it with `privaudit verify --public-key`. */
  readonly publicKey: string;
  /** Ed25519 signature (base64) of the canonical JSON of this object without `value`. */
  readonly value: string;
}

/** The content of a detached `<document>.sig` file. */
export interface DetachedDocumentSignature {
  readonly format: typeof SIGNATURE_FILE_FORMAT;
  readonly version: 1;
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  readonly canonicalization: typeof CANONICALIZATION;
  readonly subject: 'report.pdf' | 'report.html';
  /** sha256 (hex) and length of the signed document's bytes. */
  readonly fileSha256: string;
  readonly fileBytes: number;
  /** The canonical sha256 of the report JSON the document renders (informational: lets one match the two). */
  readonly reportSha256: string;
  readonly keyId: string;
  readonly publicKey: string;
  readonly value: string;
}

export class ReportSignatureError extends Error {
  override readonly name = 'ReportSignatureError';
}

const canonicalStringify = configure({ deterministic: true, circularValue: Error, bigint: false });

/** The canonical JSON text of a JSON value (see CANONICALIZATION). */
export function canonicalJson(value: unknown): string {
  const text = canonicalStringify(value);
  if (typeof text !== 'string') throw new ReportSignatureError('cannot canonicalise a value that is not JSON');
  return text;
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The report's content hash: sha256 of the canonical JSON of the report without its `signature`. The same
 * for the CLI's file, the service's jsonb column and any re-indented copy; Postgres stores it per audit.
 */
export function reportContentSha256(report: AuditReport | Record<string, unknown>): string {
  const { signature: _signature, ...content } = report as Record<string, unknown>;
  return sha256Hex(canonicalJson(content));
}

/** Reads an Ed25519 private key (PEM, PKCS#8, as `openssl genpkey -algorithm ed25519` writes it). */
export function parseSigningKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ReportSignatureError(`${source} is not a PEM private key (make one: openssl genpkey -algorithm ed25519)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ReportSignatureError(
      `${source} is a ${key.asymmetricKeyType ?? 'unknown'} key; reports are signed with Ed25519`,
    );
  }
  return key;
}

/** Reads an Ed25519 public key (PEM SPKI, or a private key PEM from which the public half is taken). */
export function parsePublicKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ReportSignatureError(`${source} is not a PEM public key (export one: openssl pkey -in key.pem -pubout)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ReportSignatureError(
      `${source} is a ${key.asymmetricKeyType ?? 'unknown'} key; reports are signed with Ed25519`,
    );
  }
  return key;
}

function spkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The key id a signature names: sha256 (hex) of the public key's SPKI DER encoding. */
export function signingKeyId(key: KeyObject): string {
  return sha256Hex(spkiDer(key));
}

/** The public half as PEM, for GET /signing-key and for pinning. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

function signStatement(statement: Record<string, unknown>, key: KeyObject): string {
  return sign(null, Buffer.from(canonicalJson(statement), 'utf8'), key).toString('base64');
}

/** The report with a `signature` field (replacing any earlier one); every other field is left as it was. */
export function signReport(report: AuditReport, key: KeyObject): AuditReport & { signature: EmbeddedReportSignature } {
  const { signature: _old, ...content } = report as AuditReport & { signature?: unknown };
  const statement = {
    algorithm: SIGNATURE_ALGORITHM,
    canonicalization: CANONICALIZATION,
    subject: 'report.json' as const,
    reportSha256: sha256Hex(canonicalJson(content)),
    keyId: signingKeyId(key),
    publicKey: spkiDer(key).toString('base64'),
  };
  return { ...(content as AuditReport), signature: { ...statement, value: signStatement(statement, key) } };
}

/** The detached signature of a rendered document (the bytes served or written). */
export function signDocument(
  bytes: Uint8Array,
  subject: DetachedDocumentSignature['subject'],
  report: AuditReport,
  key: KeyObject,
): DetachedDocumentSignature {
  const statement = {
    format: SIGNATURE_FILE_FORMAT,
    version: 1 as const,
    algorithm: SIGNATURE_ALGORITHM,
    canonicalization: CANONICALIZATION,
    subject,
    fileSha256: sha256Hex(bytes),
    fileBytes: bytes.length,
    reportSha256: reportContentSha256(report),
    keyId: signingKeyId(key),
    publicKey: spkiDer(key).toString('base64'),
  };
  return { ...statement, value: signStatement(statement, key) };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');
const statementFields = {
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  canonicalization: z.literal(CANONICALIZATION),
  reportSha256: hex64,
  keyId: hex64,
  publicKey: base64,
  value: base64,
};
const embeddedSchema = z.strictObject({ ...statementFields, subject: z.literal('report.json') });
const detachedSchema = z.strictObject({
  ...statementFields,
  format: z.literal(SIGNATURE_FILE_FORMAT),
  version: z.literal(1),
  subject: z.enum(['report.pdf', 'report.html']),
  fileSha256: hex64,
  fileBytes: z.number().int().min(0),
});

export interface VerifiedSignature {
  readonly keyId: string;
  readonly reportSha256: string;
  /** True when the caller pinned the key (--public-key); false when the key inside the signature was used. */
  readonly pinned: boolean;
}

/**
 * Checks a report JSON's embedded signature: the content hash, then Ed25519 under the pinned key (or the key
 * the signature carries). Throws ReportSignatureError with a one-line reason on any mismatch.
 */
export function verifyReportJson(json: unknown, source: string, pinnedKey?: KeyObject): VerifiedSignature {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ReportSignatureError(`${source} is not a report JSON object`);
  }
  const raw = (json as { signature?: unknown }).signature;
  if (raw === undefined) throw new ReportSignatureError(`${source} is not signed (it has no signature field)`);
  const parsed = embeddedSchema.safeParse(raw);
  if (!parsed.success) throw new ReportSignatureError(`${source}: ${describeIssue(parsed.error, 'signature')}`);
  const signature = parsed.data;
  const actual = reportContentSha256(json as Record<string, unknown>);
  if (actual !== signature.reportSha256) {
    throw new ReportSignatureError(
      `${source} was changed after signing: its content hashes to sha256 ${actual}, the signature names ${signature.reportSha256}`,
    );
  }
  verifyStatement(signature, source, pinnedKey);
  return { keyId: signature.keyId, reportSha256: actual, pinned: pinnedKey !== undefined };
}

/** Parses a detached `.sig` file's text. */
export function parseDetachedSignature(text: string, source: string): DetachedDocumentSignature {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReportSignatureError(`${source} is not JSON`);
  }
  const parsed = detachedSchema.safeParse(json);
  if (!parsed.success) throw new ReportSignatureError(`${source}: ${describeIssue(parsed.error, '')}`);
  return parsed.data;
}

/** Checks a document's bytes against its detached signature. Throws ReportSignatureError with a one-line reason. */
export function verifyDocument(
  bytes: Uint8Array,
  signature: DetachedDocumentSignature,
  source: string,
  pinnedKey?: KeyObject,
): VerifiedSignature {
  const actual = sha256Hex(bytes);
  if (actual !== signature.fileSha256 || bytes.length !== signature.fileBytes) {
    throw new ReportSignatureError(
      `${source} was changed after signing: its bytes hash to sha256 ${actual}, the signature names ${signature.fileSha256}`,
    );
  }
  verifyStatement(signature, source, pinnedKey);
  return { keyId: signature.keyId, reportSha256: signature.reportSha256, pinned: pinnedKey !== undefined };
}

function verifyStatement(
  signature: { keyId: string; publicKey: string; value: string },
  source: string,
  pinnedKey: KeyObject | undefined,
): void {
  let key: KeyObject;
  if (pinnedKey) {
    const pinnedId = signingKeyId(pinnedKey);
    if (pinnedId !== signature.keyId) {
      throw new ReportSignatureError(
        `${source} is signed by key ${signature.keyId.slice(0, 16)}…, not by the given public key ${pinnedId.slice(0, 16)}…`,
      );
    }
    key = pinnedKey.type === 'private' ? createPublicKey(pinnedKey) : pinnedKey;
  } else {
    try {
      key = createPublicKey({ key: Buffer.from(signature.publicKey, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new ReportSignatureError(`${source}: the signature's publicKey is not an SPKI public key`);
    }
    if (key.asymmetricKeyType !== 'ed25519' || signingKeyId(key) !== signature.keyId) {
      throw new ReportSignatureError(`${source}: the signature's publicKey does not match its keyId`);
    }
  }
  const { value, ...statement } = signature;
  const ok = verify(null, Buffer.from(canonicalJson(statement), 'utf8'), key, Buffer.from(value, 'base64'));
  if (!ok)
    throw new ReportSignatureError(
      `${source}: the Ed25519 signature does not verify (the signed statement was altered)`,
    );
}

function describeIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const where = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  return `not a privaudit signature: ${where || 'the signature'}: ${issue?.message ?? 'invalid'}`;
}
