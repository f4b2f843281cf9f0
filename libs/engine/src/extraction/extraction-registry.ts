// The extraction attacks privaudit can run, by id.

import { EngineError, EngineErrorCode } from '../errors';
import type { ExtractionAttackId } from '../types';
import { CopycatAttack } from './copycat-attack';
import { EquationSolvingAttack } from './equation-solving-attack';
import type { ExtractionAttack } from './extraction-attack';
import { JacobianAttack } from './jacobian-attack';
import { KnockoffAttack, type KnockoffStrategy } from './knockoff-attack';

export interface ExtractionAttackOptions {
  readonly knockoffStrategy?: KnockoffStrategy;
}

const EXTRACTION_ATTACKS: Record<ExtractionAttackId, (opts: ExtractionAttackOptions) => ExtractionAttack> = {
  'extraction.equation-solving': () => new EquationSolvingAttack(),
  'extraction.knockoff': (opts) => new KnockoffAttack(opts.knockoffStrategy),
  'extraction.jacobian': () => new JacobianAttack(),
  'extraction.copycat': () => new CopycatAttack(),
};

export const EXTRACTION_ATTACK_IDS = Object.keys(EXTRACTION_ATTACKS) as ExtractionAttackId[];

export function isExtractionAttack(id: string): id is ExtractionAttackId {
  return Object.prototype.hasOwnProperty.call(EXTRACTION_ATTACKS, id);
}

export function createExtractionAttack(id: string, opts: ExtractionAttackOptions = {}): ExtractionAttack {
  if (!isExtractionAttack(id)) {
    throw new EngineError(EngineErrorCode.UnknownAttack, `Unknown extraction attack '${id}'`);
  }
  return EXTRACTION_ATTACKS[id](opts);
}
