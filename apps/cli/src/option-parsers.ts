// Command-line values checked before any work starts, each failure naming the option and what it needs.
// Thrown as commander's InvalidArgumentError so commander reports them like its own usage errors (exit 2).
import { InvalidArgumentError } from 'commander';
import { isKnownAttack, KNOWN_ATTACKS as ENGINE_ATTACKS } from '../../../libs/engine/src/membership/attack-registry';
import type { AttackId } from '../../../libs/engine/src/types';

/** The engine's registry is the one list: an id it cannot run is refused here, before any work. */
export const KNOWN_ATTACKS: readonly AttackId[] = ENGINE_ATTACKS;

/** Integer in [min, max]; rejects '1.5', '1e3', '0x10', ' 7', '' so what the user typed is what runs. */
export function parseInteger(value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer${rangeText(min, max)}.`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`expected an integer${rangeText(min, max)}.`);
  return n;
}

function rangeText(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === 0 ? ' >= 0' : ` >= ${min}`;
  return ` from ${min} to ${max}`;
}

/** The seed is a 32-bit unsigned integer: that is what SeededRandom consumes without loss. */
export const parseSeed = (value: string): number => parseInteger(value, 0, 0xffffffff);
export const parsePositiveInteger = (value: string): number => parseInteger(value, 1);
export const parseNonNegativeInteger = (value: string): number => parseInteger(value, 0);

/** A positive decimal such as '30' or '0.5'; rejects '1e3', 'inf', '-1', '' for the same reason. */
export function parsePositiveNumber(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('expected a positive number.');
  return Number(value);
}

/** A non-negative decimal such as '0', '1e-4' is refused like everywhere else: '0.0001'. */
export function parseNonNegativeNumber(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError('expected a number >= 0.');
  return Number(value);
}

/** `gate --max-rise`: points on the 0-100 risk score, e.g. '0', '5' or '2.5'. */
export function parseMaxRise(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 100)
    throw new InvalidArgumentError('expected points of risk score from 0 to 100.');
  return Number(value);
}

/** Reference epochs: a positive integer, or 'auto' (train until the fit matches the target's). */
export function parseReferenceEpochs(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  return parseInteger(value, 1, 10_000);
}

export function parseDuplicatePolicyOption(value: string): 'exclude' | 'keep' {
  if (value === 'exclude' || value === 'keep') return value;
  throw new InvalidArgumentError('expected exclude or keep.');
}

/** 'a, b,c' -> ['a', 'b', 'c']; empty items and duplicates are mistakes worth reporting. */
export function parseCommaList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new InvalidArgumentError('expected a comma-separated list without empty items.');
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) throw new InvalidArgumentError(`'${item}' is listed twice.`);
    seen.add(item);
  }
  return items;
}

export function parseAttackList(value: string): AttackId[] {
  const items = parseCommaList(value);
  const unknown = items.filter((a) => !isKnownAttack(a));
  if (unknown.length > 0) {
    const named = unknown.map((a) => `'${a}'`).join(', ');
    throw new InvalidArgumentError(
      `unknown attack${unknown.length > 1 ? 's' : ''} ${named}; known attacks: ${KNOWN_ATTACKS.join(', ')}.`,
    );
  }
  return items as AttackId[];
}

/** Hidden layer widths '128,64', or 'none' for a multinomial logistic regression. */
export function parseHiddenLayers(value: string): number[] {
  if (value.trim() === 'none') return [];
  return parseCommaList(value).map((w) => parseInteger(w, 1, 4096));
}

export function parseActivation(value: string): 'relu' | 'tanh' | 'sigmoid' {
  if (value === 'relu' || value === 'tanh' || value === 'sigmoid') return value;
  throw new InvalidArgumentError('expected relu, tanh or sigmoid.');
}

/** How extraction.knockoff picks its natural queries. */
export function parseKnockoffStrategy(value: string): 'random' | 'adaptive' {
  if (value === 'random' || value === 'adaptive') return value;
  throw new InvalidArgumentError("expected 'random' or 'adaptive'.");
}
