// Sanity checks on the member / non-member / population split before any attack runs. The same row id in two
// roles means the user mixed up the splits: the audit stops. The same *content* under different ids is real
// data (identical people or objects recorded twice) and never stops an audit: duplicate-records.ts counts it
// and keeps it out of the places where it would distort the measurement. Too few rows make TPR at 0.1% FPR
// unmeasurable and also stop the audit rather than produce a number.

import { createHash } from 'node:crypto';
import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';

/** Rows named in the overlap message (by data row number, never by id). */
const SHOWN_ROW_IDS = 3;

/** Content digest of one record as the model sees it: its encoded features and its label (never its id). */
export function recordDigest(ds: Pick<LabeledDataset, 'features' | 'labels' | 'nFeatures'>, row: number): string {
  const start = row * ds.nFeatures;
  const bytes = ds.features.subarray(start, start + ds.nFeatures);
  return createHash('sha256')
    .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .update(String(ds.labels[row]))
    .digest('base64');
}

export interface RoleDataset {
  readonly dataset: LabeledDataset;
  /** Shown in the message, e.g. "members.csv". */
  readonly label: string;
  /** Role name in the plural, e.g. "members". */
  readonly role: string;
}

/**
 * Refuses the same row id in two roles (members, non-members, population): the user mixed up the splits.
 * Only meaningful when the files declare an id column; without one, row ids are row numbers and repeat by design.
 */
export function assertDistinctRowIds(roles: readonly RoleDataset[]): void {
  for (let a = 0; a < roles.length; a++) {
    const first = roles[a] as RoleDataset;
    const ids = new Set(first.dataset.rowIds);
    for (let b = a + 1; b < roles.length; b++) {
      const second = roles[b] as RoleDataset;
      // Data row numbers (1-based) of the second file, never the ids: an id may be a natural key (an e-mail).
      const sharedRows: number[] = [];
      second.dataset.rowIds.forEach((id, r) => {
        if (ids.has(id)) sharedRows.push(r + 1);
      });
      if (sharedRows.length === 0) continue;
      const shown = sharedRows.slice(0, SHOWN_ROW_IDS).join(', ');
      const more = sharedRows.length > SHOWN_ROW_IDS ? ', ...' : '';
      const code =
        first.role === 'members' && second.role === 'non-members'
          ? EngineErrorCode.MembersNonMembersOverlap
          : EngineErrorCode.PopulationOverlapsAudit;
      throw new EngineError(
        code,
        `${sharedRows.length} row id(s) appear both among the ${first.role} (${first.label}) and the ${second.role} (${second.label}): rows ${shown}${more} of ${second.label}; each record belongs to one role (identical content under different ids is fine)`,
        { file: second.label, ...(sharedRows[0] !== undefined ? { row: sharedRows[0] } : {}) },
      );
    }
  }
}

/** Refuses a dataset with fewer than `min` rows for the stated purpose (e.g. "TPR at 0.1% FPR"). */
export function assertEnoughRows(ds: LabeledDataset, min: number, fileLabel: string, purpose: string): void {
  if (ds.nRows < min) {
    throw new EngineError(
      EngineErrorCode.TooFewRows,
      `${fileLabel} has ${ds.nRows} rows, ${purpose} needs at least ${min}`,
      {
        file: fileLabel,
      },
    );
  }
}
