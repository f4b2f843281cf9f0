// The membership attacks privaudit can run, by id. Adding an attack is one line in MEMBERSHIP_ATTACKS.

import { EngineError, EngineErrorCode } from '../errors';
import type { AttackId, MembershipAttack } from '../types';
import { ConfidenceAttack } from './confidence-attack';
import { LossAttack } from './loss-attack';
import { LiraAttack } from './lira-attack';
import { LiraOfflineAttack } from './lira-offline-attack';
import { RmiaAttack } from './rmia-attack';
import { ShadowAttack } from './shadow-attack';
import { LabelOnlyAttack } from './label-only-attack';

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

/** Run when the request names no attacks: the cheap ones that need nothing but the target's outputs. */
export const DEFAULT_ATTACKS: readonly AttackId[] = ['membership.loss', 'membership.confidence'];

export function isImplementedAttack(id: string): id is AttackId {
  return Object.prototype.hasOwnProperty.call(MEMBERSHIP_ATTACKS, id);
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
