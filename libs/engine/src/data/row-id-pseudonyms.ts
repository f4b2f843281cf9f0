// Pseudonymised row ids (issue 12, "Redaction"). Row ids may be natural keys (e-mails, national ids). When the
// caller gives a pseudonym key, every row id is replaced right after the data are loaded by
// "ps_" + the first 32 hex digits of HMAC-SHA256(key, utf-8 id), so no raw id reaches the findings, the report,
// its PDF/HTML, the artefacts or an error message. Only the key holder can map ids to pseudonyms (docs/cli.md,
// "Pseudonymised row ids"); the report names the key by keyId, a hash that never reveals the key.

import { createHash, createHmac } from 'node:crypto';
import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';

/** A key shorter than this is refused: the keyId is a plain hash of the key, so the key must not be guessable. */
export const MIN_PSEUDONYM_KEY_BYTES = 32;
export const PSEUDONYM_PREFIX = 'ps_';
/** Hex digits of the HMAC kept: 128 bits, far beyond any table's size for collisions. */
export const PSEUDONYM_HEX_DIGITS = 32;
/** The scheme as recorded in the report (data.pseudonymizedIds.scheme). */
export const PSEUDONYM_SCHEME = 'hmac-sha256-128';

/** What the report records about pseudonymised ids: the scheme and which key (never the key itself). */
export interface PseudonymizedIds {
  readonly scheme: typeof PSEUDONYM_SCHEME;
  readonly keyId: string;
}

/**
 * A pseudonym key as written in a key file or sent to the service: at least 64 hex digits (32 bytes), surrounding
 * whitespace ignored, e.g. `openssl rand -hex 32`. The message names `source`, never the content.
 */
export function parsePseudonymKey(text: string, source: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `${source}: a pseudonym key must be hexadecimal digits only (generate one with: openssl rand -hex 32)`,
    );
  }
  if (hex.length < 2 * MIN_PSEUDONYM_KEY_BYTES) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `${source}: a pseudonym key must hold at least ${MIN_PSEUDONYM_KEY_BYTES} bytes (${2 * MIN_PSEUDONYM_KEY_BYTES} hex digits); it has ${hex.length / 2}`,
    );
  }
  return Buffer.from(hex, 'hex');
}

function assertKey(key: Uint8Array): void {
  if (key.byteLength < MIN_PSEUDONYM_KEY_BYTES) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `a pseudonym key must hold at least ${MIN_PSEUDONYM_KEY_BYTES} bytes; it has ${key.byteLength}`,
    );
  }
}

/** "psk_" + 16 hex digits of sha256("privaudit pseudonym key id\n" + key): names the key, reveals nothing of it. */
export function pseudonymKeyId(key: Uint8Array): string {
  assertKey(key);
  const digest = createHash('sha256').update('privaudit pseudonym key id\n').update(key).digest('hex');
  return `psk_${digest.slice(0, 16)}`;
}

/** The pseudonym of one row id: "ps_" + the first 32 hex digits of HMAC-SHA256(key, utf-8 id). */
export function pseudonymOf(key: Uint8Array, id: string): string {
  assertKey(key);
  return pseudonymWith(key, id);
}

function pseudonymWith(key: Uint8Array, id: string): string {
  const mac = createHmac('sha256', key).update(id, 'utf8').digest('hex');
  return PSEUDONYM_PREFIX + mac.slice(0, PSEUDONYM_HEX_DIGITS);
}

/** The dataset with every row id replaced by its pseudonym; features, labels and groups untouched. */
export function pseudonymizeRowIds(dataset: LabeledDataset, key: Uint8Array): LabeledDataset {
  assertKey(key);
  return { ...dataset, rowIds: dataset.rowIds.map((id) => pseudonymWith(key, id)) };
}
