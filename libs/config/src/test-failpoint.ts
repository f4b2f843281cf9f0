// Test-only failpoints: a named place in a real process where the fault-injection suite (test/faults) makes it
// die, deterministically, with SIGKILL, as a crash or an OOM kill would. Set with PRIVAUDIT_FAILPOINT=<name>;
// read once per process. Refused when NODE_ENV=production: the process will not start with one set.
//
//   after-audit-insert  the api, in POST /audits, right after inserting the queued audit and before enqueueing
//                       its job (issue 11, scenario 9: the repair loop must enqueue it).

export const FAILPOINTS = ['after-audit-insert'] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

/** The failpoint the environment names, or null; throws on an unknown name or in production. */
export function parseFailpoint(env: NodeJS.ProcessEnv): Failpoint | null {
  const raw = env.PRIVAUDIT_FAILPOINT;
  if (raw === undefined || raw === '') return null;
  if (env.NODE_ENV === 'production')
    throw new Error(
      'PRIVAUDIT_FAILPOINT is for the fault-injection tests only and is refused when NODE_ENV=production',
    );
  if (!(FAILPOINTS as readonly string[]).includes(raw))
    throw new Error(`PRIVAUDIT_FAILPOINT: unknown failpoint (expected one of: ${FAILPOINTS.join(', ')})`);
  return raw as Failpoint;
}

let active: Failpoint | null | undefined;

/** The process's failpoint (read from the environment on first call; the api calls it at boot). */
export function activeFailpoint(): Failpoint | null {
  if (active === undefined) active = parseFailpoint(process.env);
  return active;
}

/** Dies here, at once and without cleanup, when `name` is this process's failpoint; otherwise does nothing. */
export function failpoint(name: Failpoint): void {
  if (activeFailpoint() !== name) return;
  process.stderr.write(`[failpoint] ${name}: killing process ${process.pid} with SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
