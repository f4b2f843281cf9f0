// The population must be disjoint from the audited records. Reference models are trained on population
// rows: a member copied into the population becomes IN for offline models that should never have seen it
// (LiRA offline, RMIA and the shadow attack then under-report its leak), and a non-member copied there is
// scored against models trained on it. Same rule as the member/non-member check: same features and label.

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
