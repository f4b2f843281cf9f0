// How the worker starts the process that opens an untrusted model (docs/security.md, "Untrusted models"). onnxruntime
// is not a sandbox, so the process it runs in is fenced by the operating system and by Node itself:
// - a scrubbed environment: no DATABASE_URL, REDIS_URL, keys or any other variable of the worker;
// - an empty working directory of its own, removed afterwards;
// - Node's permission model: it may read only its own code and the files of its audit, and write only its
//   audit's scratch directory (native code is allowed: onnxruntime is native);
// - OS limits (prlimit): address space, so that a model inflating a tensor fails to allocate instead of taking
//   the host down, and CPU seconds;
// - no network where the kernel lets us create a network namespace (`unshare -n`), unless the audit's target
//   is a remote endpoint;
// - the wall-clock timeout and SIGKILL of the supervisor (audit-child-process.ts).
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';

export interface ChildSandboxOptions {
  /** RLIMIT_AS of the child, in MiB: all of its memory, native (onnxruntime) included. */
  readonly addressSpaceMb: number;
  /** RLIMIT_CPU of the child, in seconds of CPU time. */
  readonly cpuSeconds: number;
  /** Drop the network (a new, empty network namespace) where the kernel permits it. */
  readonly isolateNetwork: boolean;
  /** Niceness of the child and all its threads (0: the worker's own priority). */
  readonly nice: number;
}

/** The sandbox the worker's configuration asks for. */
export function sandboxOptionsOf(config: {
  readonly AUDIT_CHILD_ADDRESS_SPACE_MB: number;
  readonly AUDIT_CHILD_CPU_SECONDS?: number | undefined;
  readonly AUDIT_TIMEOUT_SECONDS: number;
  readonly AUDIT_CHILD_ISOLATE_NETWORK: boolean;
  readonly AUDIT_CHILD_NICE: number;
}): ChildSandboxOptions {
  return {
    addressSpaceMb: config.AUDIT_CHILD_ADDRESS_SPACE_MB,
    cpuSeconds: config.AUDIT_CHILD_CPU_SECONDS ?? 2 * config.AUDIT_TIMEOUT_SECONDS,
    isolateNetwork: config.AUDIT_CHILD_ISOLATE_NETWORK,
    nice: config.AUDIT_CHILD_NICE,
  };
}

export interface SandboxedCommand {
  readonly command: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  /** What could be applied on this machine (for the worker's start-up log and the tests). */
  readonly applied: {
    readonly limits: boolean;
    readonly network: boolean;
    readonly permissions: boolean;
    readonly nice: boolean;
  };
}

/** The only variables the child sees. Nothing in them is a secret. */
const CHILD_ENV_KEYS = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'NODE_ENV'] as const;

export function scrubbedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const key of CHILD_ENV_KEYS) if (env[key] !== undefined) out[key] = env[key];
  return out;
}

interface HostCapabilities {
  readonly prlimit: boolean;
  /** Whether coreutils' nice runs here. */
  readonly nice: boolean;
  /** How to enter a new network namespace here (plain, or inside a user namespace), if at all. */
  readonly unshareNet?: readonly string[];
}

let capabilities: HostCapabilities | undefined;

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Probed once per process: is prlimit there, and may this process create a network namespace? */
export function hostCapabilities(): HostCapabilities {
  if (!capabilities) {
    const netns = [
      ['unshare', '-n'],
      ['unshare', '-r', '-n'],
    ].find(([cmd, ...flags]) => succeeds(cmd as string, [...flags, 'true']));
    capabilities = {
      prlimit: succeeds('prlimit', ['--version']),
      nice: succeeds('nice', ['-n', '1', 'true']),
      ...(netns ? { unshareNet: netns } : {}),
    };
  }
  return capabilities;
}

/** The project's root (package.json), whose compiled code and node_modules the child must read. */
function projectRoot(entry: string): string {
  // entry: <root>/dist/apps/worker/src/audit-child.js
  return resolve(dirname(entry), '../../../..');
}

/**
 * The command line that runs `entry` under the sandbox: [unshare -n] [prlimit --as --cpu --] node
 * --permission flags... entry. `readPaths` are the audit's input files; `writeDir` its scratch directory
 * (also readable).
 */
export function sandboxedCommand(args: {
  readonly entry: string;
  readonly heapMb: number;
  readonly sandbox: ChildSandboxOptions;
  readonly readPaths: readonly string[];
  /** The child's own scratch directory (its working directory) first, then any other directory it may write. */
  readonly writeDirs: readonly [string, ...string[]];
  readonly allowNetwork: boolean;
  readonly env?: NodeJS.ProcessEnv;
}): SandboxedCommand {
  const host = hostCapabilities();
  const root = projectRoot(args.entry);
  const reads = [
    resolve(root, 'dist'),
    resolve(root, 'node_modules'),
    resolve(root, 'package.json'),
    resolve(args.entry),
    ...args.writeDirs.map((p) => resolve(p)),
    ...args.readPaths.map((p) => resolve(p)),
  ];
  const node = [
    process.execPath,
    '--experimental-permission',
    '--allow-addons',
    // Worker threads train reference models in parallel; they inherit these same permissions.
    '--allow-worker',
    // One flag per path: this Node reads a comma in the value as part of the path.
    ...reads.map((p) => `--allow-fs-read=${p}`),
    ...args.writeDirs.map((p) => `--allow-fs-write=${resolve(p)}`),
    `--max-old-space-size=${args.heapMb}`,
    // WebAssembly (undici's HTTP parser; the engine no longer trains with tfjs' wasm backend, but undici still
    // instantiates wasm) otherwise reserves ~10 GB of address space per memory for its guard regions, which the
    // address-space limit refuses; bounds checks replace them.
    '--disable-wasm-trap-handler',
    '--no-warnings=ExperimentalWarning',
    args.entry,
  ];
  const limits = host.prlimit
    ? [
        'prlimit',
        `--as=${Math.round(args.sandbox.addressSpaceMb * 1024 * 1024)}`,
        `--cpu=${Math.max(1, Math.round(args.sandbox.cpuSeconds))}`,
        '--core=0',
        '--',
      ]
    : [];
  const netns = args.sandbox.isolateNetwork && !args.allowNetwork ? (host.unshareNet ?? []) : [];
  // nice (not os.setPriority after the fork): Linux keeps a niceness per thread, and the command sets it before Node
  // starts any, so the training threads inherit it.
  const nice = host.nice && args.sandbox.nice > 0 ? ['nice', '-n', String(args.sandbox.nice)] : [];
  const full = [...netns, ...nice, ...limits, ...node];
  return {
    command: full[0] as string,
    args: full.slice(1),
    env: scrubbedEnv(args.env ?? process.env),
    applied: { limits: host.prlimit, network: netns.length > 0, permissions: true, nice: nice.length > 0 },
  };
}

/** Signals by which the kernel ends a process over its limits: SIGXCPU (CPU seconds), SIGKILL at the hard limit. */
export const RESOURCE_LIMIT_SIGNALS: ReadonlySet<string> = new Set(['SIGXCPU']);

/** What a child that failed to allocate native memory writes before it aborts (never logged: it could quote data). */
export const NATIVE_ALLOCATION_MARKERS = ['std::bad_alloc', 'Failed to allocate', 'Cannot allocate memory'];
