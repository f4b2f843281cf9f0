import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AuditReport } from '../../../libs/engine/src/types';
import {
  type AuditChildInput,
  auditInputFiles,
  type ChildToParent,
  childNeedsNetwork,
  type ParentToChild,
  type ReferenceModelChildInput,
} from './audit-child-messages';
import {
  type ChildSandboxOptions,
  NATIVE_ALLOCATION_MARKERS,
  RESOURCE_LIMIT_SIGNALS,
  sandboxedCommand,
} from './model-sandbox';

export type AuditChildFailureKind =
  'engine' | 'internal' | 'out-of-memory' | 'resource-limit' | 'crashed' | 'timeout' | 'aborted';

/** Why the child did not produce a report. `reason` is a one-line message fit for the audit resource. */
export class AuditChildFailure extends Error {
  constructor(
    readonly kind: AuditChildFailureKind,
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'AuditChildFailure';
  }
}

export interface AuditChildOptions {
  /** The child's JavaScript heap (--max-old-space-size). */
  readonly memoryLimitMb: number;
  /** OS limits, network and file access of the child (model-sandbox.ts). */
  readonly sandbox: ChildSandboxOptions;
  /** The child's entry; tests substitute a probe. Default: the compiled audit-child.js. */
  readonly entry?: string;
  readonly timeoutMs: number;
  /** The failure reason when timeoutMs runs out (default: the audit exceeded its time limit of timeoutMs). */
  readonly timeoutReason?: string;
  readonly signal: AbortSignal;
  readonly onProgress: (phase: string, fraction: number) => void;
  /**
   * Endpoint audits: records queries the child is about to send (Postgres). The child waits for it; a rejection
   * stops the audit before anything unrecorded is sent.
   */
  readonly onQueries?: (queries: number) => Promise<void>;
  /** Called with the child's pid once it is running (tests and diagnostics). */
  readonly onSpawn?: (pid: number) => void;
}

/** How the supervisor reports a child stopped by its signal (cancellation, shutdown), or never started because of it. */
const abortedFailure = () => new AuditChildFailure('aborted', 'AUDIT_ABORTED', 'the audit was stopped');

const OOM_MARKERS = ['heap out of memory', 'Reached heap limit', 'Fatal process out of memory'];
const STDERR_TAIL_BYTES = 8192;

/**
 * The compiled child entry. The worker always forks compiled JavaScript: from dist it is the sibling file;
 * from sources (tests) it is the same path under dist/, so `npm run build` must have run.
 */
export function resolveAuditChildEntry(): string {
  const sibling = join(__dirname, 'audit-child.js');
  if (__filename.endsWith('.js') && existsSync(sibling)) return sibling;
  const compiled = resolve(__dirname, '../../../dist/apps/worker/src/audit-child.js');
  if (existsSync(compiled)) return compiled;
  throw new Error(`audit child entry not found at ${compiled}: run \`npm run build\` first`);
}

/**
 * The child's input, or how to make it inside the child's scratch directory (the worker decrypts the audit's
 * datasets there, so plaintext exists only in the directory that is removed with the child).
 */
export type ChildInputSource<I> = I | ((scratch: string) => Promise<I>);

/** Runs one audit in a forked Node process with its own heap limit; the worker's event loop stays free. */
export function runAuditInChild(
  input: ChildInputSource<AuditChildInput>,
  opts: AuditChildOptions,
): Promise<AuditReport> {
  return runInChild(
    async (scratch) => ({ type: 'run', input: typeof input === 'function' ? await input(scratch) : input }),
    opts,
    (m) => (m.type === 'report' ? m.report : undefined),
  );
}

/** Trains one reference model in a forked process; resolves with its cache key and encoded weights. */
export function trainReferenceModelInChild(
  input: ChildInputSource<ReferenceModelChildInput>,
  opts: AuditChildOptions,
): Promise<{ key: string; weights: Buffer }> {
  return runInChild(
    async (scratch) => ({ type: 'train-reference', input: typeof input === 'function' ? await input(scratch) : input }),
    opts,
    (m) => (m.type === 'reference-model' ? { key: m.key, weights: Buffer.from(m.weights, 'base64') } : undefined),
  );
}

/**
 * Makes the scratch directory, prepares the request in it, then supervises the child; the directory goes with it. A
 * signal aborted while the request was prepared (the audit cancelled meanwhile) forks nothing.
 */
async function runInChild<T>(
  prepare: (scratch: string) => Promise<ParentToChild>,
  opts: AuditChildOptions,
  resultOf: (message: ChildToParent) => T | undefined,
): Promise<T> {
  // An empty working directory of its own (mode 0700), removed when the child is gone.
  const scratch = mkdtempSync(join(tmpdir(), 'privaudit-model-process-'));
  let request: ParentToChild;
  try {
    request = await prepare(scratch);
    if (opts.signal.aborted) throw abortedFailure();
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  }
  return superviseChild(scratch, request, opts, resultOf);
}

/** The supervisor: fork, send the request, collect the one result, map every way of dying to a failure. */
function superviseChild<T>(
  scratch: string,
  request: ParentToChild,
  opts: AuditChildOptions,
  resultOf: (message: ChildToParent) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const files = auditInputFiles(request);
    const sandboxed = sandboxedCommand({
      entry: opts.entry ?? resolveAuditChildEntry(),
      heapMb: opts.memoryLimitMb,
      sandbox: opts.sandbox,
      readPaths: files.reads,
      writeDirs: [scratch, ...files.writes],
      allowNetwork: childNeedsNetwork(request),
    });
    const child: ChildProcess = spawn(sandboxed.command, sandboxed.args, {
      cwd: scratch,
      env: sandboxed.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let stderrTail = '';
    let outcome: { result?: { value: T }; failure?: AuditChildFailure } = {};
    let settled = false;

    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rmSync(scratch, { recursive: true, force: true });
      opts.signal.removeEventListener('abort', onAbort);
      if (outcome.result) resolvePromise(outcome.result.value);
      else
        reject(
          outcome.failure ??
            new AuditChildFailure('crashed', 'AUDIT_PROCESS_CRASHED', 'the model process exited without a report'),
        );
    };
    const kill = (failure: AuditChildFailure) => {
      outcome.failure ??= failure;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill(abortedFailure());
    const timer = setTimeout(
      () =>
        kill(
          new AuditChildFailure(
            'timeout',
            'AUDIT_TIMEOUT',
            opts.timeoutReason ?? `the audit exceeded its time limit of ${Math.round(opts.timeoutMs / 1000)} s`,
          ),
        ),
      opts.timeoutMs,
    );
    opts.signal.addEventListener('abort', onAbort);
    if (opts.signal.aborted) onAbort();

    const answer = (m: ParentToChild) => {
      if (child.connected) child.send(m, (e) => void e); // a child already gone has nobody to answer
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      // Kept only to recognise an out-of-memory death; never logged (it could quote data).
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    child.on('spawn', () => {
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
      child.send(request);
    });
    child.on('message', (message: ChildToParent) => {
      if (message.type === 'progress') {
        opts.onProgress(message.phase, message.fraction);
      } else if (message.type === 'queries') {
        const record = opts.onQueries ?? (() => Promise.reject(new Error('no query account')));
        void record(message.queries).then(
          () => answer({ type: 'queries-recorded', seq: message.seq, ok: true }),
          () => answer({ type: 'queries-recorded', seq: message.seq, ok: false }),
        );
      } else if (message.type === 'failed') {
        outcome = {
          failure: new AuditChildFailure(message.engineError ? 'engine' : 'internal', message.code, message.message),
        };
      } else {
        const value = resultOf(message);
        if (value !== undefined) outcome = { result: { value } };
      }
    });
    child.on('error', (e) => {
      outcome.failure ??= new AuditChildFailure(
        'crashed',
        'AUDIT_PROCESS_CRASHED',
        `could not run the model process (${e.message})`,
      );
      settle();
    });
    child.on('exit', (code, signal) => {
      if (!outcome.result && !outcome.failure) {
        if (signal && RESOURCE_LIMIT_SIGNALS.has(signal)) {
          outcome.failure = new AuditChildFailure(
            'resource-limit',
            'MODEL_RESOURCE_LIMIT',
            `the model process used more than its ${opts.sandbox.cpuSeconds} s of CPU time`,
          );
        } else if (NATIVE_ALLOCATION_MARKERS.some((m) => stderrTail.includes(m))) {
          outcome.failure = new AuditChildFailure(
            'resource-limit',
            'MODEL_RESOURCE_LIMIT',
            `the model needed more memory than the model process may use (${opts.sandbox.addressSpaceMb} MB of address space)`,
          );
        } else if (OOM_MARKERS.some((m) => stderrTail.includes(m))) {
          outcome.failure = new AuditChildFailure(
            'out-of-memory',
            'AUDIT_OUT_OF_MEMORY',
            `the model process ran out of memory (limit ${opts.memoryLimitMb} MB)`,
          );
        } else if (signal) {
          outcome.failure = new AuditChildFailure(
            'crashed',
            'AUDIT_PROCESS_CRASHED',
            `the model process exited with signal ${signal}`,
          );
        } else {
          outcome.failure = new AuditChildFailure(
            'crashed',
            'AUDIT_PROCESS_CRASHED',
            `the model process exited with code ${code} before finishing`,
          );
        }
      }
      settle();
    });
  });
}
