// The demo's membership split: one bundled dataset shuffled with the seed into the records a target is
// trained on (members), records it never sees (non-members) and the rest (population, for reference models).
// Written back as CSVs with an id column so the audit that follows is exactly a user's audit on files.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SeededRandom, deriveSeed } from '../../../libs/engine/src/random/seeded-random';
import type { LabeledDataset } from '../../../libs/engine/src/types';

export const DEMO_MEMBERS = 300;
export const DEMO_NON_MEMBERS = 300;
/** Salt of the split within the demo seed's streams (training uses another). */
export const SPLIT_SALT = 1;

export interface DemoSplit {
  readonly members: readonly number[];
  readonly nonMembers: readonly number[];
  readonly population: readonly number[];
}

export function splitDemoRows(nRows: number, seed: number): DemoSplit {
  if (nRows < DEMO_MEMBERS + DEMO_NON_MEMBERS + 1)
    throw new Error(`the demo needs more than ${DEMO_MEMBERS + DEMO_NON_MEMBERS} rows, got ${nRows}`);
  const order = new SeededRandom(deriveSeed(seed, SPLIT_SALT)).permutation(nRows);
  return {
    members: order.slice(0, DEMO_MEMBERS),
    nonMembers: order.slice(DEMO_MEMBERS, DEMO_MEMBERS + DEMO_NON_MEMBERS),
    population: order.slice(DEMO_MEMBERS + DEMO_NON_MEMBERS),
  };
}

/**
 * Writes `id,<features...>,<label>` rows. The digits data is integers only, so every cell prints as a plain
 * number and needs no quoting; ids are `digit-<data row number in the bundled file>`.
 */
export async function writeSplitCsv(
  file: string,
  source: LabeledDataset,
  rows: readonly number[],
  labelColumn: string,
  idColumn: string,
): Promise<void> {
  const nFeatures = source.nFeatures;
  const lines: string[] = [[idColumn, ...source.featureNames, labelColumn].join(',')];
  for (const row of rows) {
    const cells: string[] = [`digit-${source.rowIds[row] as string}`];
    for (let j = 0; j < nFeatures; j++) cells.push(String(source.features[row * nFeatures + j]));
    cells.push(String(source.labels[row]));
    lines.push(cells.join(','));
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${lines.join('\n')}\n`, 'utf8');
}
