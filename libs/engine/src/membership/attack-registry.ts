// The membership attacks privaudit can run, by id. Adding an attack is one line in MEMBERSHIP_ATTACKS.

import { EngineError, EngineErrorCode } from '../errors';
import { IMPLEMENTED_INVERSION_ATTACKS, isInversionAttackId } from '../inversion/inversion-registry';
import type { AttackId, MembershipAttack } from '../types';
import { ConfidenceAttack } from './confidence-attack';
import { LossAttack } from './loss-attack';
import { LiraAttack } from './lira-attack';
import { LiraOfflineAttack } from './lira-offline-attack';
import { RmiaAttack } from './rmia-attack';
import { ShadowAttack } from './shadow-attack';
import { LabelOnlyAttack } from './label-only-attack';
import { EXTRACTION_ATTACK_IDS, isExtractionAttack } from '../extraction/extraction-registry';

const MEMBERSHIP_ATTACKS: Partial<Record<AttackId, () => MembershipAttack>> = {
  'membership.loss': () => new LossAttack(),
  'membership.confidence': () => new ConfidenceAttack(),
  'membership.lira': () => new LiraAttack(),
  'membership.lira-offline': () => new LiraOfflineAttack(),
  'membership.rmia': () => new RmiaAttack(),
  'membership.shadow': () => new ShadowAttack(),
  'membership.label-only': () => new LabelOnlyAttack(),
};

export const IMPLEMENTED_ATTACKS: readonly AttackId[] = Object.keys(MEMBERSHIP_ATTACKS) as AttackId[];

/** Run when the request names no attacks and gives no population: the ones that need only the target's outputs. */
export const DEFAULT_ATTACKS: readonly AttackId[] = ['membership.loss', 'membership.confidence'];

/**
 * Added to the defaults when a population is given: RMIA (Zarifzadeh et al., ICML 2024) is strong with a few
 * offline reference models, so a default audit with a population does not under-report.
 */
export const DEFAULT_ATTACKS_WITH_POPULATION: readonly AttackId[] = [...DEFAULT_ATTACKS, 'membership.rmia'];

/** Stronger attacks a population file would enable, named in the report of an audit run without one. */
export const ATTACKS_NEEDING_POPULATION: readonly AttackId[] = [
  'membership.rmia',
  'membership.lira',
  'membership.lira-offline',
  'membership.shadow',
];

/** The default attack list for targets that answer scores. */
export function defaultScoreAttacks(hasPopulation: boolean): readonly AttackId[] {
  return hasPopulation ? DEFAULT_ATTACKS_WITH_POPULATION : DEFAULT_ATTACKS;
}

export function isImplementedAttack(id: string): id is AttackId {
  return Object.prototype.hasOwnProperty.call(MEMBERSHIP_ATTACKS, id);
}

/** Every attack an audit can run: membership (above) and extraction (extraction/extraction-registry.ts). */
export const KNOWN_ATTACKS: readonly AttackId[] = [
  ...IMPLEMENTED_ATTACKS,
  ...EXTRACTION_ATTACK_IDS,
  ...IMPLEMENTED_INVERSION_ATTACKS,
];

export function isKnownAttack(id: string): id is AttackId {
  return isImplementedAttack(id) || isExtractionAttack(id) || isInversionAttackId(id);
}

/** Refuses an id no family implements, listing the known ones. */
export function assertKnownAttack(id: string): void {
  if (!isKnownAttack(id)) {
    throw new EngineError(
      EngineErrorCode.UnknownAttack,
      `Unknown attack '${id}'; known attacks: ${KNOWN_ATTACKS.join(', ')}`,
    );
  }
}

export function createMembershipAttack(id: AttackId | string): MembershipAttack {
  const factory = isImplementedAttack(id) ? MEMBERSHIP_ATTACKS[id] : undefined;
  if (!factory) {
    throw new EngineError(
      EngineErrorCode.UnknownAttack,
      `Unknown attack '${id}'; known attacks: ${IMPLEMENTED_ATTACKS.join(', ')}`,
    );
  }
  return factory();
}
