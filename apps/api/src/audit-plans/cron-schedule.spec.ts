import { cronScheduleProblem } from './cron-schedule';

const NOW = new Date('2026-01-01T00:00:00Z');

describe('cronScheduleProblem', () => {
  it('accepts 5- and 6-field expressions and aliases at or above the minimum interval', () => {
    expect(cronScheduleProblem('0 3 * * 1', 300, NOW)).toBeNull();
    expect(cronScheduleProblem('*/5 * * * *', 300, NOW)).toBeNull();
    expect(cronScheduleProblem('@daily', 300, NOW)).toBeNull();
    expect(cronScheduleProblem('*/2 * * * * *', 1, NOW)).toBeNull();
  });

  it('refuses malformed expressions and too frequent ones, in one line', () => {
    expect(cronScheduleProblem('61 * * * *', 300, NOW)).toMatch(/^not a valid cron expression: .*61/);
    expect(cronScheduleProblem('every day', 300, NOW)).toMatch(/5 fields .* got 2/);
    expect(cronScheduleProblem('* * * * * * *', 300, NOW)).toMatch(/got 7/);
    expect(cronScheduleProblem('* * * * *', 300, NOW)).toMatch(/fires every 60 s at times, more often than the 300 s/);
    // The shortest gap counts, not the usual one.
    expect(cronScheduleProblem('0 0,1 * * *', 7200, NOW)).toMatch(/fires every 3600 s/);
  });
});
