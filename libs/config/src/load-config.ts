import { appConfigSchema, AppConfig, SECRET_VARIABLES } from './app-config.schema';
import { readReportSigningKey } from './report-signing-key';

export class InvalidConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'InvalidConfigError';
  }
}

/**
 * Validates the environment once. Error messages name the variable and what is wrong with it, never its
 * value: zod's messages for these checks describe the expectation, and for secrets we say only "is invalid"
 * or "is required" so no fragment of a URL with a password or of a key can leak into logs.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // A variable set to the empty string (compose's `${VAR:-}`, an empty line in a .env file) counts as unset: its
  // default applies, and a required one is reported as set but empty.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = appConfigSchema.safeParse(given);
  if (parsed.success) {
    const keyFile = parsed.data.REPORT_SIGNING_KEY_FILE;
    const read = keyFile !== undefined ? readReportSigningKey(keyFile) : undefined;
    if (read && 'problem' in read) throw new InvalidConfigError([`REPORT_SIGNING_KEY_FILE ${read.problem}`]);
    return parsed.data;
  }
  throw new InvalidConfigError(describeConfigIssues(parsed.error.issues, env));
}

/**
 * One line per failing variable, naming it and what is wrong with it, never its value (the service at boot and the
 * maintenance commands, libs/persistence/src/maintenance-command.ts, say the same).
 */
export function describeConfigIssues(
  issues: ReadonlyArray<{ readonly code: string; readonly path: readonly PropertyKey[]; readonly message: string }>,
  env: NodeJS.ProcessEnv,
): string[] {
  return issues.map((issue) => {
    const variable = String(issue.path[0] ?? '?');
    // A cross-variable rule (code 'custom') can fail on a defaulted variable: its message says what is wrong.
    if (issue.code !== 'custom') {
      if (env[variable] === '') return `${variable} is required (it is set but empty)`;
      if (env[variable] === undefined) return `${variable} is required`;
    }
    if (SECRET_VARIABLES.has(variable))
      return `${variable} is invalid (${issue.code === 'custom' && issue.message.startsWith('must differ') ? issue.message : secretSafeHint(variable)})`;
    return `${variable}: ${issue.message}`;
  });
}

function secretSafeHint(variable: string): string {
  switch (variable) {
    case 'DATABASE_URL':
    case 'DATABASE_TENANT_URL':
      return 'expected postgres://user@host:port/database';
    case 'REDIS_URL':
      return 'expected redis://host:port';
    case 'SECRETS_ENCRYPTION_KEY':
    case 'DATA_ENCRYPTION_KEY':
    case 'DATA_ENCRYPTION_PREVIOUS_KEYS':
      return 'must be 32 bytes, base64-encoded (openssl rand -base64 32)';
    default:
      return 'must be at least 32 characters';
  }
}

/** For main.ts files: print the one-line problem and exit, instead of a stack trace. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof InvalidConfigError) {
      process.stderr.write(`privaudit: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
}
