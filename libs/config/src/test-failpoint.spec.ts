import { parseFailpoint } from './test-failpoint';

describe('parseFailpoint', () => {
  it('is off when unset or empty', () => {
    expect(parseFailpoint({})).toBeNull();
    expect(parseFailpoint({ PRIVAUDIT_FAILPOINT: '' })).toBeNull();
  });

  it('names a known failpoint', () => {
    expect(parseFailpoint({ PRIVAUDIT_FAILPOINT: 'after-audit-insert', NODE_ENV: 'test' })).toBe('after-audit-insert');
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => parseFailpoint({ PRIVAUDIT_FAILPOINT: 'before-lunch' })).toThrow(
      'PRIVAUDIT_FAILPOINT: unknown failpoint (expected one of: after-audit-insert)',
    );
  });

  it('is refused in production', () => {
    expect(() => parseFailpoint({ PRIVAUDIT_FAILPOINT: 'after-audit-insert', NODE_ENV: 'production' })).toThrow(
      /refused when NODE_ENV=production/,
    );
  });
});
