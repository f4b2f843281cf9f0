// A plan's `schedule`: a cron expression read by cron-parser, the parser BullMQ's job schedulers use (pinned to
// the same version), in UTC. 5 fields (minute hour day month weekday), 6 with seconds first, or an alias
// (@hourly, @daily, @weekly, @monthly). Refused: what the parser refuses, and schedules that would fire more often
// than MIN_SCHEDULE_INTERVAL_SECONDS (an audit is not a heartbeat).
import { CronExpressionParser } from 'cron-parser';

/** Ticks looked at to find the shortest gap (cron gaps vary: '0 0,1 * * *' has a 1 h and a 23 h gap). */
const TICKS_CHECKED = 50;

/** Null when the expression is usable; else the one-line problem (no value echoed beyond the expression's own text). */
export function cronScheduleProblem(expression: string, minIntervalSeconds: number, now = new Date()): string | null {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && (fields.length < 5 || fields.length > 6)) {
    return `a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first); got ${fields.length}`;
  }
  let ticks: number[];
  try {
    const parsed = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: now });
    ticks = Array.from({ length: TICKS_CHECKED }, () => parsed.next().getTime());
  } catch (e) {
    return `not a valid cron expression: ${(e as Error).message}`;
  }
  let shortest = Infinity;
  for (let i = 1; i < ticks.length; i++) shortest = Math.min(shortest, (ticks[i]! - ticks[i - 1]!) / 1000);
  if (shortest < minIntervalSeconds) {
    return `fires every ${shortest} s at times, more often than the ${minIntervalSeconds} s allowed (MIN_SCHEDULE_INTERVAL_SECONDS)`;
  }
  return null;
}
