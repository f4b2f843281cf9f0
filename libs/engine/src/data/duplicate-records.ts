// Identical records under different ids: real tables hold them (two customers with the same answers, two
// letters drawn alike), so they are never a reason to refuse an audit. They are handled on purpose:
//
// - A non-member identical to a member cannot be told apart from it by any attack: the target answers both
//   the same. Scored as a non-member it is a false positive no defence could remove, which understates what an
//   attack achieves on distinguishable records; put into a reference model's training set it makes that model
//   "IN" for the member it copies.
// - A population record identical to an audited record breaks the offline premise: reference models that should
//   never have seen the audited record train on its copy (LiRA offline, RMIA and the shadow attack then
//   under-report its leak).
//
// Policy 'exclude' (the default) leaves such non-members out of the scored non-members and of the reference
// pool, and such population rows out of the population. Policy 'keep' audits every row as given. Either way the
// counts are reported (report data.duplicates). Identical records within one role are kept under both policies;
// online reference models give every copy of one content the same IN/OUT assignment (reference-model-provider.ts),
// as the target saw every copy of a member.

import type { AuditReport, DuplicatePolicy, LabeledDataset } from '../types';
import { selectRows } from './select-rows';
import { recordDigest } from './membership-split-checks';

export type { DuplicatePolicy };
export const DUPLICATE_POLICIES: readonly DuplicatePolicy[] = ['exclude', 'keep'];
export const DEFAULT_DUPLICATE_POLICY: DuplicatePolicy = 'exclude';

/** What the audit found and did about identical records (same features and label) under different ids. */
export type DuplicateRecords = NonNullable<AuditReport['data']['duplicates']>;

export interface DeduplicatedSplit {
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  readonly duplicates: DuplicateRecords;
}

export function parseDuplicatePolicy(value: string): DuplicatePolicy | undefined {
  return (DUPLICATE_POLICIES as readonly string[]).includes(value) ? (value as DuplicatePolicy) : undefined;
}

function digests(ds: LabeledDataset): string[] {
  return Array.from({ length: ds.nRows }, (_, r) => recordDigest(ds, r));
}

function repeatsWithin(keys: readonly string[]): number {
  return keys.length - new Set(keys).size;
}

/** Counts identical records across and within roles and applies the policy (see the header). */
export function resolveDuplicateRecords(
  members: LabeledDataset,
  nonMembers: LabeledDataset,
  population: LabeledDataset | undefined,
  policy: DuplicatePolicy = DEFAULT_DUPLICATE_POLICY,
): DeduplicatedSplit {
  const memberKeys = digests(members);
  const nonMemberKeys = digests(nonMembers);
  const populationKeys = population ? digests(population) : [];
  const memberSet = new Set(memberKeys);
  const nonMemberRowsKept: number[] = [];
  let nonMembersMatchingMembers = 0;
  nonMemberKeys.forEach((key, r) => {
    if (memberSet.has(key)) nonMembersMatchingMembers++;
    else nonMemberRowsKept.push(r);
  });
  const audited = new Set([...memberKeys, ...nonMemberKeys]);
  const populationRowsKept: number[] = [];
  let populationMatchingAudited = 0;
  populationKeys.forEach((key, r) => {
    if (audited.has(key)) populationMatchingAudited++;
    else populationRowsKept.push(r);
  });

  const exclude = policy === 'exclude';
  const excludedNonMembers = exclude ? nonMembersMatchingMembers : 0;
  const excludedPopulation = exclude ? populationMatchingAudited : 0;
  const keptNonMembers = excludedNonMembers > 0 ? selectRows(nonMembers, nonMemberRowsKept) : nonMembers;
  const keptPopulation =
    population && excludedPopulation > 0 ? selectRows(population, populationRowsKept) : population;
  return {
    members,
    nonMembers: keptNonMembers,
    ...(keptPopulation ? { population: keptPopulation } : {}),
    duplicates: {
      policy,
      nonMembersMatchingMembers,
      populationMatchingAudited,
      withinMembers: repeatsWithin(memberKeys),
      withinNonMembers: repeatsWithin(nonMemberKeys),
      withinPopulation: repeatsWithin(populationKeys),
      excludedNonMembers,
      excludedPopulation,
    },
  };
}

/** A one-line account for progress output and the CLI, counts only. */
export function describeDuplicateRecords(d: DuplicateRecords): string | undefined {
  const parts: string[] = [];
  if (d.nonMembersMatchingMembers > 0)
    parts.push(
      `${d.nonMembersMatchingMembers} non-member(s) identical to a member${d.excludedNonMembers > 0 ? ' left out of the scoring and the reference pool' : ' kept'}`,
    );
  if (d.populationMatchingAudited > 0)
    parts.push(
      `${d.populationMatchingAudited} population row(s) identical to an audited record${d.excludedPopulation > 0 ? ' left out of the population' : ' kept'}`,
    );
  const within = d.withinMembers + d.withinNonMembers + d.withinPopulation;
  if (within > 0) parts.push(`${within} repeated record(s) within a file kept`);
  return parts.length > 0 ? `duplicate records (policy '${d.policy}'): ${parts.join('; ')}` : undefined;
}
