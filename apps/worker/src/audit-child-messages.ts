// IPC between the worker and its child process (one audit, or one reference model of an audit). Only file
// paths and options go down; progress, the report or one model's encoded weights, or a failure come back.
// Never raw data values.
import type { AuditRequest } from '../../../libs/engine/src/audit/audit-request';
import type { RemoteTargetSpec } from '../../../libs/engine/src/targets/http/remote-target-spec';
import type { AttackId, AuditReport } from '../../../libs/engine/src/types';

/** An endpoint audit's network settings; the auth secrets are in `remoteTarget.headers` (never logged). */
export interface AuditChildOutbound {
  readonly allowHosts: string[];
  readonly queryBudget: number;
  readonly ownershipToken?: string;
  /** Queries earlier attempts of this audit spent (Postgres), where the child's ledger starts. */
  readonly queriesSpent: number;
}

export interface AuditChildInput {
  /** The ONNX file (a blob path); exactly one of modelPath and remoteTarget. */
  readonly modelPath?: string;
  /** A remote endpoint, its secrets decrypted by the worker: IPC only, never written to disk or a log. */
  readonly remoteTarget?: RemoteTargetSpec;
  readonly outbound?: AuditChildOutbound;
  readonly members: { readonly path: string; readonly name: string };
  readonly nonMembers: { readonly path: string; readonly name: string };
  readonly population?: { readonly path: string; readonly name: string };
  readonly labelColumn: string;
  readonly idColumn?: string;
  /**
   * The tenant's pseudonym key (hex) when the audit pseudonymises row ids: a secret, IPC only, never logged nor
   * written; the child replaces every row id by its pseudonym as the data are loaded.
   */
  readonly pseudonymKeyHex?: string;
  readonly groupColumn?: string;
  /** The model version's preprocessing spec (a blob file): the CSVs are raw tables encoded through it. */
  readonly preprocessing?: { readonly path: string; readonly name: string };
  /** Class names of string labels, in the model's output order. */
  readonly classes?: string[];
  /** Classes declared with the model version (a labels-only model's output does not say). */
  readonly numClasses?: number;
  /** What the audited API is taken to answer ('labels', 'top-k:<k>', 'round:<d>'). */
  readonly outputPolicy?: string;
  readonly attacks?: AttackId[];
  readonly seed: number;
  readonly referenceModels?: number;
  /** How reference models are trained: the same in every child job and the parent audit, or their cache keys differ. */
  readonly referenceTraining?: AuditRequest['referenceTraining'];
  /** Reference-model architecture: like referenceTraining, the same everywhere or the cache keys differ. */
  readonly referenceHidden?: number[];
  readonly referenceActivation?: AuditRequest['referenceActivation'];
  /** Like referenceTraining, the same in every job of the audit: they change the data and the reference sets. */
  readonly duplicates?: AuditRequest['duplicates'];
  readonly targetTrainSize?: number;
  readonly maxModelBytes: number;
  /** A model file with extraction attacks: the queries each extraction run may send. */
  readonly queryBudget?: number;
  /** The extraction and inversion options stored with the audit, as the engine's request fields. */
  readonly attackOptions?: Pick<
    AuditRequest,
    'queryPrice' | 'extractionWhatIf' | 'knockoffStrategy' | 'sensitiveColumn' | 'inversionQueryBudget'
  >;
  /**
   * Where the audit writes its artefacts (the best extraction surrogate as surrogate.onnx, MI-Face reconstructions);
   * the worker stores them in the blob store with the report. Writable by the child.
   */
  readonly artifactsDir?: string;
  /** Directory of reference models already trained (materialised from Postgres by the worker). */
  readonly referenceCacheDir?: string;
  readonly modelsPerGraph?: number;
}

/** The stolen model's file among an audit's artefacts (the CLI's --surrogate-out). */
export const SURROGATE_ARTIFACT_NAME = 'surrogate.onnx';

/** One reference model of the audit described by `audit`. */
export interface ReferenceModelChildInput {
  readonly audit: AuditChildInput;
  readonly mode: 'online' | 'offline';
  readonly m: number;
}

export type ParentToChild =
  | { type: 'run'; input: AuditChildInput }
  | { type: 'train-reference'; input: ReferenceModelChildInput }
  | { type: 'abort' }
  /** The parent's answer to a 'queries' message: the spending is in Postgres (ok) or could not be written. */
  | { type: 'queries-recorded'; seq: number; ok: boolean };

export type ChildToParent =
  | { type: 'progress'; phase: string; fraction: number }
  | { type: 'report'; report: AuditReport }
  /** weights: the engine's encoded model (reference-model-store.ts), base64; a few hundred KB at most. */
  | { type: 'reference-model'; key: string; weights: string }
  | { type: 'failed'; code: string; message: string; engineError: boolean }
  /** Queries about to be sent to the endpoint: the parent adds them to the audit's account and answers. */
  | { type: 'queries'; seq: number; queries: number };

/** The files the child of this request may read: its audit's inputs and nothing else (model-sandbox.ts). */
export function auditInputFiles(request: ParentToChild): { reads: string[]; writes: string[] } {
  if (request.type !== 'run' && request.type !== 'train-reference') return { reads: [], writes: [] };
  const input = request.type === 'run' ? request.input : request.input.audit;
  const reads = [input.members.path, input.nonMembers.path];
  if (input.modelPath !== undefined) reads.push(input.modelPath);
  if (input.population) reads.push(input.population.path);
  if (input.preprocessing) reads.push(input.preprocessing.path);
  // The reference-model cache is read, and written by a store that trains what it lacks.
  const writes = input.referenceCacheDir !== undefined ? [input.referenceCacheDir] : [];
  if (request.type === 'run' && input.artifactsDir !== undefined) writes.push(input.artifactsDir);
  return { reads, writes };
}

/** Whether the child needs the network: only to query a remote endpoint target. */
export function childNeedsNetwork(request: ParentToChild): boolean {
  if (request.type !== 'run' && request.type !== 'train-reference') return false;
  const input = request.type === 'run' ? request.input : request.input.audit;
  return input.remoteTarget !== undefined;
}
