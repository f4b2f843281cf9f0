// `privaudit verify <report.json|report.pdf|report.html> [--public-key <pub.pem>] [--signature <file.sig>]`:
// is this the report that was signed, unchanged? A report JSON carries its signature inside (field `signature`);
// a PDF or HTML document is signed by the detached `<file>.sig` beside it (libs/reports/src/report-signature.ts).
// Exit 0 when the hashes and the Ed25519 signature hold, 4 with the reason on one line when they do not.
import type { KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  parseDetachedSignature,
  ReportSignatureError,
  SIGNATURE_FILE_SUFFIX,
  verifyDocument,
  verifyReportJson,
  type VerifiedSignature,
} from '../../../libs/reports/src/index';
import type { CliIo } from './cli-io';
import { InputError, VerifyFailedError } from './cli-errors';
import { loadPublicKeyFile } from './signing-key-file';

export interface VerifyCommandOptions {
  readonly file: string;
  readonly publicKey?: string;
  /** The detached signature of a PDF/HTML document; default `<file>.sig`. */
  readonly signature?: string;
  readonly quiet?: boolean;
}

const MAX_VERIFIED_FILE_BYTES = 256 * 1024 * 1024;

export async function runVerifyCommand(opts: VerifyCommandOptions, io: CliIo): Promise<VerifiedSignature> {
  const pinned = opts.publicKey !== undefined ? await loadPublicKeyFile('--public-key', opts.publicKey, io) : undefined;
  const bytes = await readInput('', opts.file, io);
  const verified = isDocument(opts.file, bytes)
    ? await verifyDetached(opts, bytes, pinned, io)
    : verifyJson(opts.file, bytes, pinned);
  if (opts.quiet !== true) {
    const pin = verified.pinned
      ? 'the given public key'
      : 'the key inside the signature (not pinned: pass --public-key to check who signed it)';
    io.out(
      `${opts.file}: signature valid (Ed25519, key ${verified.keyId}, report sha256 ${verified.reportSha256}), checked with ${pin}\n`,
    );
  }
  return verified;
}

function isDocument(typed: string, bytes: Buffer): boolean {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return true;
  return /\.html?$/i.test(typed) || /^\s*<!doctype html/i.test(bytes.subarray(0, 64).toString('utf8'));
}

function verifyJson(typed: string, bytes: Buffer, pinned: KeyObject | undefined): VerifiedSignature {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new VerifyFailedError(`${typed} is neither a PDF, an HTML page nor valid JSON (changed or truncated?)`);
  }
  return asVerifyFailure(() => verifyReportJson(json, typed, pinned));
}

async function verifyDetached(
  opts: VerifyCommandOptions,
  bytes: Buffer,
  pinned: KeyObject | undefined,
  io: CliIo,
): Promise<VerifiedSignature> {
  const sigTyped = opts.signature ?? `${opts.file}${SIGNATURE_FILE_SUFFIX}`;
  const sigStat = await fs.stat(path.resolve(io.cwd, sigTyped)).catch(() => undefined);
  if (!sigStat) {
    throw new VerifyFailedError(
      `${opts.file} has no detached signature: ${sigTyped} not found (pass --signature <file.sig>)`,
    );
  }
  const sigText = (await readInput('--signature', sigTyped, io)).toString('utf8');
  return asVerifyFailure(() => verifyDocument(bytes, parseDetachedSignature(sigText, sigTyped), opts.file, pinned));
}

function asVerifyFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ReportSignatureError) throw new VerifyFailedError(e.message);
    throw e;
  }
}

async function readInput(option: string, typed: string, io: CliIo): Promise<Buffer> {
  const label = option ? `${option}: ` : '';
  const absolute = path.resolve(io.cwd, typed);
  const stat = await fs.stat(absolute).catch(() => undefined);
  if (!stat) throw new InputError(`${label}file not found: ${typed}`);
  if (!stat.isFile()) throw new InputError(`${label}${typed} is not a regular file`);
  if (stat.size > MAX_VERIFIED_FILE_BYTES)
    throw new InputError(`${label}${typed} is too large to be a privaudit report`);
  return fs.readFile(absolute);
}
