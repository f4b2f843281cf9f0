// The inversion attacks privaudit can run, by id. Adding one is one line in INVERSION_ATTACKS.

import { EngineError, EngineErrorCode } from '../errors';
import type { InversionAttackId } from '../types';
import { AttributeInferenceAttack } from './attribute-inference-attack';
import type { InversionAttack } from './inversion-attack';
import { MiFaceAttack } from './miface-attack';

const INVERSION_ATTACKS: Partial<Record<InversionAttackId, () => InversionAttack>> = {
  'inversion.attribute': () => new AttributeInferenceAttack(),
  'inversion.miface': () => new MiFaceAttack(),
};

export const IMPLEMENTED_INVERSION_ATTACKS: readonly InversionAttackId[] = Object.keys(
  INVERSION_ATTACKS,
) as InversionAttackId[];

export function isInversionAttackId(id: string): id is InversionAttackId {
  return Object.prototype.hasOwnProperty.call(INVERSION_ATTACKS, id);
}

export function createInversionAttack(id: string): InversionAttack {
  if (!isInversionAttackId(id)) {
    throw new EngineError(
      EngineErrorCode.UnknownAttack,
      `Unknown inversion attack '${id}'; known: ${IMPLEMENTED_INVERSION_ATTACKS.join(', ')}`,
    );
  }
  return (INVERSION_ATTACKS[id] as () => InversionAttack)();
}
