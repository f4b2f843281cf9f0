import { InvalidArgumentError } from 'commander';
import {
  KNOWN_ATTACKS,
  parseAttackList,
  parseCommaList,
  parseInteger,
  parsePositiveInteger,
  parseSeed,
} from './option-parsers';

describe('option parsers', () => {
  it('accepts plain integers in range only', () => {
    expect(parseInteger('42', 0)).toBe(42);
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('4294967295')).toBe(4294967295);
    for (const bad of ['abc', '1.5', '1e3', '0x10', ' 7', '', '-1', '4294967296']) {
      expect(() => parseSeed(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => parsePositiveInteger('0')).toThrow('expected an integer >= 1.');
  });

  it('splits comma lists and refuses empty or repeated items', () => {
    expect(parseCommaList('a, b,c')).toEqual(['a', 'b', 'c']);
    expect(() => parseCommaList('a,,b')).toThrow(/empty items/);
    expect(() => parseCommaList('a,a')).toThrow(/'a' is listed twice/);
  });

  it('knows the engine attacks and names the unknown ones', () => {
    expect(KNOWN_ATTACKS).toContain('membership.loss');
    expect(parseAttackList('membership.loss')).toEqual(['membership.loss']);
    expect(parseAttackList('inversion.attribute,inversion.miface')).toEqual([
      'inversion.attribute',
      'inversion.miface',
    ]);
    expect(() => parseAttackList('inversion.nope')).toThrow(/known attacks: .*inversion\.attribute, inversion\.miface/);
    expect(() => parseAttackList('membership.loss,nope')).toThrow(
      /unknown attack 'nope'; known attacks: .*membership\.loss/,
    );
  });
});
