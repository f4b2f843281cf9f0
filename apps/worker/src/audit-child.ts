// Entry of the child process that runs one audit, or trains one reference model of an audit (forked by
// audit-child-process.ts). The CPU-heavy work runs here, outside the worker's event loop, under its own
// heap limit: a model that exhausts memory or crashes the runtime takes down this process only.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRequest } from '../../../libs/engine/src/audit/audit-request';
import { trainAuditReferenceModel } from '../../../libs/engine/src/audit/distributed-reference-models';
import { runAudit } from '../../../libs/engine/src/audit/run-audit';
import type { QueryLedger } from '../../../libs/engine/src/targets/http/query-ledger';
import { isEngineError } from '../../../libs/engine/src/errors';
import type { MlpWeights } from '../../../libs/engine/src/training/mlp';
import { encodeWeights, type ReferenceModelStore } from '../../../libs/engine/src/training/reference-model-store';
import {
  type AuditChildInput,
  type ChildToParent,
  type ParentToChild,
  type ReferenceModelChildInput,
  SURROGATE_ARTIFACT_NAME,
} from './audit-child-messages';

const abort = new AbortController();

function send(message: ChildToParent): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(message, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

/**
 * The audit's query account, kept by the parent in Postgres: each spending goes up over IPC and the engine sends
 * nothing until the parent confirms it is written, so a retried or resumed job starts from every query sent.
 */
class IpcQueryLedger implements QueryLedger {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(private readonly spentBefore: number) {}

  spent(): Promise<number> {
    return Promise.resolve(this.spentBefore);
  }

  record(queries: number): Promise<void> {
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      send({ type: 'queries', seq, queries }).catch((e: unknown) => {
        this.waiting.delete(seq);
        reject(e instanceof Error ? e : new Error('IPC failed'));
      });
    });
  }

  settle(seq: number, ok: boolean): void {
    const waiter = this.waiting.get(seq);
    this.waiting.delete(seq);
    if (ok) waiter?.resolve();
    else waiter?.reject(new Error('the query account could not be written'));
  }
}

let ledger: IpcQueryLedger | undefined;

async function auditRequest(input: AuditChildInput): Promise<AuditRequest> {
  if (input.outbound) ledger = new IpcQueryLedger(input.outbound.queriesSpent);
  return {
    ...(input.modelPath !== undefined ? { model: await readFile(input.modelPath) } : {}),
    ...(input.remoteTarget !== undefined ? { remoteTarget: input.remoteTarget } : {}),
    ...(input.outbound && ledger
      ? {
          outbound: {
            allowHosts: input.outbound.allowHosts,
            queryBudget: input.outbound.queryBudget,
            ...(input.outbound.ownershipToken !== undefined ? { ownershipToken: input.outbound.ownershipToken } : {}),
            ledger,
          },
        }
      : {}),
    members: input.members,
    nonMembers: input.nonMembers,
    ...(input.population ? { population: input.population } : {}),
    labelColumn: input.labelColumn,
    ...(input.idColumn ? { idColumn: input.idColumn } : {}),
    ...(input.pseudonymKeyHex !== undefined ? { pseudonymKey: Buffer.from(input.pseudonymKeyHex, 'hex') } : {}),
    ...(input.groupColumn ? { groupColumn: input.groupColumn } : {}),
    ...(input.preprocessing
      ? { preprocessing: { name: input.preprocessing.name, data: await readFile(input.preprocessing.path) } }
      : {}),
    ...(input.classes ? { classes: input.classes } : {}),
    ...(input.numClasses ? { numClasses: input.numClasses } : {}),
    ...(input.outputPolicy ? { outputPolicy: input.outputPolicy } : {}),
    ...(input.attacks ? { attacks: input.attacks } : {}),
    seed: input.seed,
    ...(input.referenceModels ? { referenceModels: input.referenceModels } : {}),
    ...(input.referenceTraining ? { referenceTraining: input.referenceTraining } : {}),
    ...(input.referenceHidden ? { referenceHidden: input.referenceHidden } : {}),
    ...(input.referenceActivation ? { referenceActivation: input.referenceActivation } : {}),
    ...(input.duplicates ? { duplicates: input.duplicates } : {}),
    ...(input.targetTrainSize ? { targetTrainSize: input.targetTrainSize } : {}),
    maxModelBytes: input.maxModelBytes,
    ...(input.queryBudget !== undefined ? { queryBudget: input.queryBudget } : {}),
    ...(input.attackOptions ?? {}),
    ...(input.artifactsDir !== undefined ? { inversionOutDir: input.artifactsDir } : {}),
    ...(input.referenceCacheDir ? { referenceCacheDir: input.referenceCacheDir } : {}),
    ...(input.modelsPerGraph ? { modelsPerGraph: input.modelsPerGraph } : {}),
  };
}

async function runOne(input: AuditChildInput): Promise<ChildToParent> {
  // As the CLI's --surrogate-out: the surrogate with the highest fidelity of all extraction attacks.
  let stolen: { fidelity: number; onnx: Uint8Array } | undefined;
  const artifactsDir = input.artifactsDir;
  const report = await runAudit(await auditRequest(input), {
    signal: abort.signal,
    onProgress: (e) => void send({ type: 'progress', phase: e.phase, fraction: e.fraction }).catch(() => undefined),
    ...(artifactsDir !== undefined
      ? {
          onSurrogate: (finding, surrogate) => {
            if (!stolen || finding.metrics.fidelity > stolen.fidelity)
              stolen = { fidelity: finding.metrics.fidelity, onnx: surrogate.onnx };
          },
        }
      : {}),
  });
  if (artifactsDir !== undefined && stolen) await writeFile(join(artifactsDir, SURROGATE_ARTIFACT_NAME), stolen.onnx);
  return { type: 'report', report };
}

/** The worker has already looked in Postgres; this process only trains and hands the weights back. */
async function trainOne(input: ReferenceModelChildInput): Promise<ChildToParent> {
  let trained: MlpWeights | undefined;
  const handBack: ReferenceModelStore = {
    get: async () => undefined,
    put: async (_key, weights) => {
      trained = weights;
    },
  };
  const { key } = await trainAuditReferenceModel(
    await auditRequest(input.audit),
    input.mode,
    input.m,
    handBack,
    abort.signal,
  );
  if (!trained) throw new Error('no model was trained');
  return { type: 'reference-model', key, weights: encodeWeights(trained).toString('base64') };
}

async function run(work: () => Promise<ChildToParent>): Promise<void> {
  try {
    await send(await work());
  } catch (e) {
    // Engine errors are about the caller's model or data and their messages are safe to show. Anything
    // else is a bug: report its kind, not its message (which could quote data).
    await send(
      isEngineError(e)
        ? { type: 'failed', code: e.code, message: e.message, engineError: true }
        : {
            type: 'failed',
            code: 'AUDIT_INTERNAL_ERROR',
            message: `internal error in the audit process (${e instanceof Error ? e.name : 'unknown'})`,
            engineError: false,
          },
    );
  }
  process.disconnect?.();
  process.exit(0);
}

process.on('message', (message: ParentToChild) => {
  if (message.type === 'run') void run(() => runOne(message.input));
  else if (message.type === 'train-reference') void run(() => trainOne(message.input));
  else if (message.type === 'abort') abort.abort();
  else if (message.type === 'queries-recorded') ledger?.settle(message.seq, message.ok);
});
process.on('disconnect', () => process.exit(0)); // parent gone: nobody to report to
