import { z } from 'zod';

// One schema gives the type and the validation. Variables marked secret are never echoed back in errors.
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'PRIVAUDIT_BOOTSTRAP_ADMIN_KEY',
  'SECRETS_ENCRYPTION_KEY',
]);

/** A comma-separated list of host names or IP literals (no port, no scheme); empty entries ignored. */
const hostList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== ''),
  )
  .pipe(
    z.array(
      z
        .string()
        .max(253)
        .regex(
          /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9.-]+)$/,
          'must be host names or IP addresses, comma-separated',
        ),
    ),
  );

export const appConfigSchema = z
  .object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    /** Postgres schema the tables live in (tests use one schema per suite). */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
      .default('public'),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }),
    /** Key prefix of the BullMQ queues, so several deployments (or test runs) can share one Redis. */
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('privaudit'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    STORAGE_DIR: z.string().min(1).default('./var/storage'),
    MAX_MODEL_BYTES: positiveInt(200 * 1024 * 1024),
    MAX_DATASET_BYTES: positiveInt(500 * 1024 * 1024),
    PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    WORKER_CONCURRENCY: positiveInt(1),
    AUDIT_CHILD_MEMORY_MB: positiveInt(2048),
    AUDIT_TIMEOUT_SECONDS: positiveInt(3600),
    /** How long a worker given SIGTERM lets the audit in hand finish before handing it back to the queue. */
    SHUTDOWN_GRACE_SECONDS: positiveInt(30),
    AUDIT_JOB_ATTEMPTS: positiveInt(3),
    /**
     * Budget for an audit's reference-model training, in estimated seconds (models not yet stored x the
     * engine's measured per-model time). POST /audits refuses an audit over it with 422 BUDGET_EXCEEDED.
     * Unset: no budget.
     */
    MAX_REFERENCE_SECONDS: z.coerce.number().positive().optional(),
    /** A job's lock in Redis; a worker that dies holding one (killed, machine lost) frees it after this long. */
    WORKER_LOCK_DURATION_MS: positiveInt(60_000),
    /** How often a worker looks for jobs whose lock expired (stalled) and puts them back in the queue. */
    WORKER_STALLED_INTERVAL_MS: positiveInt(30_000),
    /**
     * How many times a job may stall (its worker died or froze past the lock) and go back to the queue; one
     * more stall and BullMQ fails it without calling the handler: the worker then fails the audit.
     */
    WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(1),
    /** How often the worker's repair loop looks for audits whose job is missing, failed or finished. */
    AUDIT_REPAIR_INTERVAL_MS: positiveInt(60_000),
    /**
     * Only audits untouched for this long are repaired: a queued audit younger than this may still be
     * between the api's insert and its enqueue.
     */
    AUDIT_REPAIR_MIN_AGE_MS: positiveInt(60_000),
    /**
     * Tests only: start against a Redis that keeps nothing on disk (no AOF, no RDB save points). Never set in
     * production: such a Redis loses every queued audit when it restarts.
     */
    PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /**
     * Hosts of remote model endpoints an administrator trusts (comma-separated names or IP literals, as in the URL):
     * reachable over plain http and on any address, loopback and private ones included, without an ownership
     * proof. Every other host must be https, resolve to public unicast addresses only, and prove ownership.
     */
    OUTBOUND_ALLOW_HOSTS: hostList,
    /**
     * Key that encrypts endpoint auth secrets at rest (AES-256-GCM): 32 random bytes, base64 (`openssl rand
     * -base64 32`). Unset: endpoint versions with headers are refused (nothing to encrypt them with).
     */
    // Empty = unset (docker-compose passes `${SECRETS_ENCRYPTION_KEY:-}` through).
    SECRETS_ENCRYPTION_KEY: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
          message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
        })
        .optional(),
    ),
    /** Query budget of an endpoint audit that names none (one query = one row the endpoint answers). */
    DEFAULT_QUERY_BUDGET: positiveInt(10_000),
    /** The largest queryBudget POST /audits accepts (422 above it, before anything is stored or queued). */
    MAX_QUERY_BUDGET: positiveInt(100_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.DEFAULT_QUERY_BUDGET <= c.MAX_QUERY_BUDGET, {
    path: ['DEFAULT_QUERY_BUDGET'],
    message: 'must not exceed MAX_QUERY_BUDGET',
  });

export type AppConfig = z.infer<typeof appConfigSchema>;
