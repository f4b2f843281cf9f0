// The service's report-signing key: an Ed25519 private key (PKCS#8 PEM) read from REPORT_SIGNING_KEY_FILE at
// boot. The worker signs each succeeded audit's report JSON with it; the api signs the PDF/HTML it renders
// (detached .sig) and publishes the public half at GET /signing-key. Unset: reports are stored unsigned (their
// sha256 is stored all the same). Errors name the variable, never the key's bytes.
import { createPrivateKey, KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** Injection token: the KeyObject, or null when REPORT_SIGNING_KEY_FILE is unset. */
export const REPORT_SIGNING_KEY = Symbol('REPORT_SIGNING_KEY');

const MAX_KEY_FILE_BYTES = 64 * 1024;

/** The key in `file`, or the one-line problem with it (for the config error). */
export function readReportSigningKey(file: string): { key: KeyObject } | { problem: string } {
  let pem: Buffer;
  try {
    if (statSync(file).size > MAX_KEY_FILE_BYTES) return { problem: 'is not a key file (too large)' };
    pem = readFileSync(file);
  } catch (e) {
    return { problem: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return { problem: 'is not a PEM private key (make one: openssl genpkey -algorithm ed25519 -out key.pem)' };
  }
  if (key.asymmetricKeyType !== 'ed25519')
    return { problem: `holds a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519` };
  return { key };
}

/** For the module: the key (already checked by loadConfig) or null. */
export function loadReportSigningKey(file: string | undefined): KeyObject | null {
  if (file === undefined) return null;
  const read = readReportSigningKey(file);
  if ('problem' in read) throw new Error(`REPORT_SIGNING_KEY_FILE ${read.problem}`);
  return read.key;
}
