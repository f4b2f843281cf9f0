// Sanity checks on the member / non-member split before any attack runs. A record present on both sides
// makes every membership metric meaningless (it is scored as member and non-member at once), and too few
// rows make TPR at 0.1% FPR unmeasurable; both must stop the audit rather than produce a number.

import { createHash } from 'node:crypto';
import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';

const SHOWN_ROW_IDS = 3;

function recordDigest(ds: LabeledDataset, row: number): string {
  const start = row * ds.nFeatures;
  const bytes = ds.features.subarray(start, start + ds.nFeatures);
  return createHash('sha256')
    .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .update(String(ds.labels[row]))
    .digest('base64');
}

/**
 * Refuses a split where the same record is both a member and a non-member: by identical content
 * (features and label) always, and by row id when both files declared an id column (`byId`).
 */
export function assertDisjoint(
  members: LabeledDataset,
  nonMembers: LabeledDataset,
  options: { byId: boolean } = { byId: false },
): void {
  const overlapping = new Set<number>(); // member row indices
  const memberRowByDigest = new Map<string, number>();
  for (let i = 0; i < members.nRows; i++) memberRowByDigest.set(recordDigest(members, i), i);
  for (let j = 0; j < nonMembers.nRows; j++) {
    const i = memberRowByDigest.get(recordDigest(nonMembers, j));
    if (i !== undefined) overlapping.add(i);
  }
  if (options.byId) {
    const nonMemberIds = new Set(nonMembers.rowIds);
    members.rowIds.forEach((id, i) => {
      if (nonMemberIds.has(id)) overlapping.add(i);
    });
  }
  if (overlapping.size === 0) return;

  const shown = [...overlapping]
    .sort((a, b) => a - b)
    .slice(0, SHOWN_ROW_IDS)
    .map((i) => members.rowIds[i]);
  const more = overlapping.size > SHOWN_ROW_IDS ? ', ...' : '';
  const criterion = options.byId ? 'same row id or same features and label' : 'same features and label';
  throw new EngineError(
    EngineErrorCode.MembersNonMembersOverlap,
    `${overlapping.size} member record(s) also appear among the non-members (${criterion}), member row ids ${shown.join(', ')}${more}; members and non-members must be disjoint`,
  );
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

// The population must be disjoint from the audited records too. Reference models are trained on population
// rows: a member copied into the population becomes IN for offline models that should never have seen it
// (LiRA offline, RMIA and the shadow attack then under-report its leak), and a non-member copied there is
// scored against models trained on it. Same rule as the member/non-member check: same features and label.
/** Refuses population rows whose content equals a member or non-member record; names population row ids only. */
export function assertPopulationDisjoint(
  population: LabeledDataset,
  members: LabeledDataset,
  nonMembers: LabeledDataset,
  populationLabel: string,
): void {
  const audited = new Map<string, 'member' | 'non-member'>();
  for (let i = 0; i < members.nRows; i++) audited.set(recordDigest(members, i), 'member');
  for (let j = 0; j < nonMembers.nRows; j++) {
    const digest = recordDigest(nonMembers, j);
    if (!audited.has(digest)) audited.set(digest, 'non-member');
  }
  const overlapping: number[] = [];
  const kinds = new Set<string>();
  for (let p = 0; p < population.nRows; p++) {
    const kind = audited.get(recordDigest(population, p));
    if (kind !== undefined) {
      overlapping.push(p);
      kinds.add(kind);
    }
  }
  if (overlapping.length === 0) return;

  const shown = overlapping.slice(0, SHOWN_ROW_IDS).map((p) => population.rowIds[p] ?? String(p + 1));
  const more = overlapping.length > SHOWN_ROW_IDS ? ', ...' : '';
  const among = [...kinds]
    .sort()
    .map((k) => `${k}s`)
    .join(' and ');
  throw new EngineError(
    EngineErrorCode.PopulationOverlapsAudit,
    `${populationLabel}: ${overlapping.length} population record(s) also appear among the ${among} (same features and label), population row ids ${shown.join(', ')}${more}; the population must be disjoint from the audited records`,
    { file: populationLabel },
  );
}
