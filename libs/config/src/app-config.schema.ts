import { z } from 'zod';

// One schema gives the type and the validation. Variables marked secret are never echoed back in errors.
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'DATABASE_TENANT_URL',
  'REDIS_URL',
  'PRIVAUDIT_BOOTSTRAP_ADMIN_KEY',
  'MODEL_REGISTRY_WEBHOOK_SECRET',
  'SECRETS_ENCRYPTION_KEY',
  'DATA_ENCRYPTION_KEY',
  'DATA_ENCRYPTION_PREVIOUS_KEYS',
]);

const BASE64_32 = (v: string) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32;

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

/** The variables one by one (commands that need only some of them pick from it). */
export const appConfigObject = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** Postgres schema the tables live in (tests use one schema per suite). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  /**
   * The NOLOGIN role tenant-scoped transactions run as (SET LOCAL ROLE), so that Postgres's row-level security
   * applies to them: created by the migration unless it exists (docs/security.md, "Tenants").
   */
  DATABASE_TENANT_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('privaudit_app'),
  /**
   * Optional login for tenant-scoped transactions (docs/security.md, "Tenants"): a role that is, or is a member of,
   * DATABASE_TENANT_ROLE, neither superuser nor BYPASSRLS nor owner of the tables. When set, TenantDb opens its
   * transactions on this connection and DATABASE_URL serves only installation-wide work, so SQL sent in a tenant's
   * transaction cannot RESET ROLE back to a role that sees every tenant. Boot refuses a role that could.
   */
  DATABASE_TENANT_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Connections of the DATABASE_URL pool (installation-wide work; all work when DATABASE_TENANT_URL is unset). */
  DATABASE_POOL_SIZE: positiveInt(10),
  /** Connections of the DATABASE_TENANT_URL pool (tenant-scoped transactions); unused without it. */
  DATABASE_TENANT_POOL_SIZE: positiveInt(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  /** Key prefix of the BullMQ queues, so several deployments (or test runs) can share one Redis. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('privaudit'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * api processes sharing PORT (node:cluster): one Node process serves requests on one core, so a host that runs the
   * api alone, or beside a worker, uses its cores with one per core. 1: a single process, no cluster.
   */
  API_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  STORAGE_DIR: z.string().min(1).default('./var/storage'),
  MAX_MODEL_BYTES: positiveInt(200 * 1024 * 1024),
  MAX_DATASET_BYTES: positiveInt(500 * 1024 * 1024),
  /**
   * How long one request may take, uploads included (Node's server.requestTimeout; its default of 300 s cuts off
   * a large upload on a slow link). Temporary upload files older than this plus an hour are removed as stale.
   */
  REQUEST_TIMEOUT_SECONDS: positiveInt(3600),
  /**
   * Worker threads of the api that validate uploads (ONNX inspection, CSV reads) and validate and price audit
   * requests, off the event loop (apps/api/src/engine-checks). One stays warm; the others start on demand.
   */
  CHECK_THREADS: positiveInt(2),
  /** JavaScript heap of each check thread (decoded protobuf, parsed CSV); over it the check is refused MODEL_RESOURCE_LIMIT. */
  CHECK_THREAD_MEMORY_MB: positiveInt(2048),
  PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  WORKER_CONCURRENCY: positiveInt(1),
  AUDIT_CHILD_MEMORY_MB: positiveInt(2048),
  /**
   * Address space of the process that opens a model (RLIMIT_AS through prlimit), native memory included: a model
   * that inflates a tensor fails with MODEL_RESOURCE_LIMIT instead of taking the host down. V8 and onnxruntime
   * reserve more address space than they use; 4096 is about the least an audit starts with.
   */
  AUDIT_CHILD_ADDRESS_SPACE_MB: positiveInt(8192),
  /** CPU seconds of that process (RLIMIT_CPU). Default: twice AUDIT_TIMEOUT_SECONDS. */
  AUDIT_CHILD_CPU_SECONDS: z.coerce.number().int().positive().optional(),
  /**
   * CPU priority of that process (nice, 0-19; 0 leaves it as the worker's): training is batch work, so that on a host
   * shared with the api, Postgres or Redis it takes the CPU they leave rather than slowing them. Applied to all of its
   * threads (the `nice` command starts it) where the host has `nice`.
   */
  AUDIT_CHILD_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Run that process without network (a new network namespace) where the kernel permits it; audits of remote endpoints keep it. */
  AUDIT_CHILD_ISOLATE_NETWORK: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /**
   * The whole audit's time limit, from the moment its first job starts: every job of its flow (reference models,
   * retries, the audit itself) runs its model process with the time left, and the repair loop fails an audit past
   * it with AUDIT_TIMEOUT.
   */
  AUDIT_TIMEOUT_SECONDS: positiveInt(3600),
  /** How long a worker given SIGTERM lets the audit in hand finish before handing it back to the queue. */
  SHUTDOWN_GRACE_SECONDS: positiveInt(30),
  AUDIT_JOB_ATTEMPTS: positiveInt(3),
  /**
   * Budget for an audit's reference-model training, in estimated seconds (models not yet stored x the
   * engine's measured per-model time). POST /audits refuses an audit over it with 422 BUDGET_EXCEEDED.
   * On by default (4 hours of estimated training), so that one request cannot occupy the workers for days.
   */
  MAX_REFERENCE_SECONDS: z.coerce.number().positive().default(14_400),
  /**
   * Per-tenant quotas per calendar month (UTC), for tenants without their own (POST /tenants): estimated
   * reference-model training seconds, and queries sent to endpoints. Over them POST /audits answers 429
   * TENANT_QUOTA_EXCEEDED. On by default: 100 hours and ten million queries a month.
   */
  TENANT_REFERENCE_SECONDS_PER_MONTH: z.coerce.number().positive().default(360_000),
  TENANT_QUERIES_PER_MONTH: positiveInt(10_000_000),
  /**
   * Retention (docs/security.md, "Retention"): a tenant's datasets and finished audits older than this many days
   * are purged by the scheduled purge, unless the tenant set its own period (POST /tenants, PATCH
   * /tenants/current). Unset (or empty): kept until deleted, so an upgrade never deletes anything by surprise.
   */
  TENANT_RETENTION_DAYS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(36_500).optional(),
  ),
  /** How often the retention purge runs (one BullMQ job scheduler; each tick is taken by one api replica). */
  RETENTION_PURGE_INTERVAL_SECONDS: positiveInt(3_600),
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
  /** Requests one API key (or one client address without a key) may make per THROTTLE_TTL_SECONDS; over it: 429. */
  THROTTLE_LIMIT: positiveInt(600),
  THROTTLE_TTL_SECONDS: positiveInt(60),
  /**
   * How long the api may reuse an API key it authenticated, without asking Postgres again (0: never). A revocation,
   * rotation or any other change of api_keys drops every replica's cache at once (Postgres NOTIFY); while that
   * channel is down nothing is cached. Expiry is still honoured to the second (apps/api/src/auth/api-key-cache.ts).
   */
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /**
   * Ed25519 private key (PKCS#8 PEM file) the service signs reports with: the worker signs each report JSON
   * (field `signature`), the api the PDF/HTML it serves (GET /audits/:id/report.pdf.sig). Checked at boot.
   * Unset: reports are unsigned; their sha256 is stored all the same.
   */
  /**
   * Shared secret of POST /webhooks/model-registry (HMAC-SHA256; docs/service.md). Unset: every call is refused
   * (401). At least 32 characters.
   */
  MODEL_REGISTRY_WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** An audit plan's cron schedule may not fire more often than this (PUT /models/:id/audit-plan answers 422). */
  MIN_SCHEDULE_INTERVAL_SECONDS: positiveInt(300),
  REPORT_SIGNING_KEY_FILE: z.string().min(1).optional(),
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
  /**
   * Master key of data at rest (docs/security.md, "Data at rest"): wraps the per-dataset AES-256 keys that seal
   * uploaded datasets and the reference-model weights derived from them. 32 random bytes, base64. Unset: dataset
   * uploads are refused (503 DATA_ENCRYPTION_UNAVAILABLE), nothing is stored in clear. Must differ from
   * SECRETS_ENCRYPTION_KEY.
   */
  DATA_ENCRYPTION_KEY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().refine(BASE64_32, { message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)' }).optional(),
  ),
  /**
   * Master keys being rotated out (comma-separated, same form): data keys wrapped under them still unwrap until
   * `npm run data-keys:rewrap` has re-wrapped them under DATA_ENCRYPTION_KEY.
   */
  DATA_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== ''),
    )
    .pipe(z.array(z.string().refine(BASE64_32, { message: 'must be 32 bytes, base64-encoded each' }))),
  /**
   * Optional OIDC / JWT login beside API keys (docs/security.md, "Tokens"): a bearer token signed by the issuer's
   * keys (JWKS, fetched through the outbound policy: https unless the host is in OUTBOUND_ALLOW_HOSTS), with this
   * issuer and audience, its role read from OIDC_ROLE_CLAIM through OIDC_ROLE_MAP. All three of issuer, audience
   * and JWKS URL, or none.
   */
  OIDC_ISSUER: z.string().min(1).optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The claim holding the caller's groups or roles (a string or an array of strings; dots walk nested objects). */
  OIDC_ROLE_CLAIM: z.string().min(1).default('roles'),
  /**
   * The claim naming the caller's tenant (its id, a UUID; dots walk nested objects). Unset: token callers act in the
   * default tenant. Set: a token whose claim is missing or names no tenant of this installation is refused (403).
   */
  OIDC_TENANT_CLAIM: z.string().min(1).optional(),
  /** claim value=privaudit role, comma-separated, e.g. `privaudit-admins=admin,dpo=privacy_officer,staff=auditor`. */
  OIDC_ROLE_MAP: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^.+=(admin|privacy_officer|auditor)$/,
            'must be value=role pairs (roles: admin, privacy_officer, auditor)',
          ),
      ),
    )
    .transform((pairs) =>
      pairs.map((p) => ({ value: p.slice(0, p.lastIndexOf('=')), role: p.slice(p.lastIndexOf('=') + 1) })),
    ),
  /** Signature algorithms accepted (never 'none'). */
  OIDC_ALGORITHMS: z
    .string()
    .default('RS256,PS256,ES256,EdDSA')
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    )
    .pipe(
      z
        .array(
          z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']),
        )
        .min(1),
    ),
  /** Tries of one outbound notification (the first included) before its delivery is marked failed. */
  NOTIFICATION_MAX_ATTEMPTS: positiveInt(8),
  /** Delay before a notification's first retry; doubled for each further one (8 tries: about 2 hours in all). */
  NOTIFICATION_RETRY_DELAY_MS: positiveInt(60_000),
  /** How often the api looks for finished audits to announce (and for deliveries whose job was lost). */
  NOTIFICATION_POLL_INTERVAL_MS: positiveInt(5_000),
  /**
   * The api's public address (https://privaudit.example.org), for absolute links in notifications. Unset: links
   * are paths (/audits/<id>) for the receiver to resolve against the address it knows.
   */
  PUBLIC_BASE_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional()),
  /** Query budget of an endpoint audit that names none (one query = one row the endpoint answers). */
  DEFAULT_QUERY_BUDGET: positiveInt(10_000),
  /** The largest queryBudget POST /audits accepts (422 above it, before anything is stored or queued). */
  MAX_QUERY_BUDGET: positiveInt(100_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const appConfigSchema = appConfigObject
  .refine((c) => c.DEFAULT_QUERY_BUDGET <= c.MAX_QUERY_BUDGET, {
    path: ['DEFAULT_QUERY_BUDGET'],
    message: 'must not exceed MAX_QUERY_BUDGET',
  })
  .refine(
    (c) =>
      [c.OIDC_ISSUER, c.OIDC_AUDIENCE, c.OIDC_JWKS_URL].every((v) => v === undefined) ||
      [c.OIDC_ISSUER, c.OIDC_AUDIENCE, c.OIDC_JWKS_URL].every((v) => v !== undefined),
    {
      path: ['OIDC_ISSUER'],
      message: 'OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL go together: set all three or none',
    },
  )
  // The JWKS is fetched under the outbound policy: https unless the host is allow-listed.
  .refine(
    (c) =>
      c.OIDC_JWKS_URL === undefined ||
      new URL(c.OIDC_JWKS_URL).protocol === 'https:' ||
      c.OUTBOUND_ALLOW_HOSTS.includes(new URL(c.OIDC_JWKS_URL).hostname.toLowerCase()),
    { path: ['OIDC_JWKS_URL'], message: 'must be https (plain http only to a host in OUTBOUND_ALLOW_HOSTS)' },
  )
  // One key, one job: SECRETS_ENCRYPTION_KEY encrypts endpoint secrets directly with AES-GCM, DATA_ENCRYPTION_KEY
  // wraps data keys; sharing one raw key would put two protocols under it and tie their rotations together.
  .refine(
    (c) =>
      c.DATA_ENCRYPTION_KEY === undefined ||
      c.SECRETS_ENCRYPTION_KEY === undefined ||
      !Buffer.from(c.DATA_ENCRYPTION_KEY, 'base64').equals(Buffer.from(c.SECRETS_ENCRYPTION_KEY, 'base64')),
    { path: ['DATA_ENCRYPTION_KEY'], message: 'must differ from SECRETS_ENCRYPTION_KEY (one key per job)' },
  );

export type AppConfig = z.infer<typeof appConfigSchema>;
