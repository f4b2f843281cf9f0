import { EngineErrorCode } from '../errors';
import { createMembershipAttack, DEFAULT_ATTACKS, IMPLEMENTED_ATTACKS } from './attack-registry';

describe('attack registry', () => {
  it('creates every implemented attack under its own id', () => {
    for (const id of IMPLEMENTED_ATTACKS) expect(createMembershipAttack(id).id).toBe(id);
    for (const id of DEFAULT_ATTACKS) expect(IMPLEMENTED_ATTACKS).toContain(id);
    expect(IMPLEMENTED_ATTACKS).toEqual(expect.arrayContaining(['membership.loss', 'membership.confidence']));
  });

  it('rejects an unknown id and lists the known ones', () => {
    try {
      createMembershipAttack('membership.nope');
      throw new Error('expected a throw');
    } catch (e) {
      expect((e as { code: string }).code).toBe(EngineErrorCode.UnknownAttack);
      expect((e as Error).message).toContain('membership.loss');
      expect((e as Error).message).toContain("'membership.nope'");
    }
  });
});
