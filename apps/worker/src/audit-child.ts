// Entry of the child process that runs one audit (forked by AuditChildProcess). The CPU-heavy work runs
// here, outside the worker's event loop, under its own heap limit: a model that exhausts memory or
// crashes the runtime takes down this process only.
import { readFile } from 'node:fs/promises';
import { runAudit } from '../../../libs/engine/src/audit/run-audit';
import { isEngineError } from '../../../libs/engine/src/errors';
import type { AuditChildInput, ChildToParent, ParentToChild } from './audit-child-messages';

const abort = new AbortController();

function send(message: ChildToParent): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(message, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

async function run(input: AuditChildInput): Promise<void> {
  try {
    const model = await readFile(input.modelPath);
    const report = await runAudit(
      {
        model,
        members: input.members,
        nonMembers: input.nonMembers,
        ...(input.population ? { population: input.population } : {}),
        labelColumn: input.labelColumn,
        ...(input.idColumn ? { idColumn: input.idColumn } : {}),
        ...(input.attacks ? { attacks: input.attacks } : {}),
        seed: input.seed,
        ...(input.referenceModels ? { referenceModels: input.referenceModels } : {}),
        maxModelBytes: input.maxModelBytes,
      },
      {
        signal: abort.signal,
        onProgress: (e) => void send({ type: 'progress', phase: e.phase, fraction: e.fraction }).catch(() => undefined),
      },
    );
    await send({ type: 'report', report });
  } catch (e) {
    // Engine errors are about the caller's model or data and their messages are safe to show. Anything
    // else is a bug: report its kind, not its message (which could quote data).
    await send(
      isEngineError(e)
        ? { type: 'failed', code: e.code, message: e.message, engineError: true }
        : { type: 'failed', code: 'AUDIT_INTERNAL_ERROR', message: `internal error in the audit process (${e instanceof Error ? e.name : 'unknown'})`, engineError: false },
    );
  }
  process.disconnect?.();
  process.exit(0);
}

process.on('message', (message: ParentToChild) => {
  if (message.type === 'run') void run(message.input);
  else if (message.type === 'abort') abort.abort();
});
process.on('disconnect', () => process.exit(0)); // parent gone: nobody to report to
