// IPC between the worker and the audit child process. Only file paths and options go down; progress,
// the report, or a failure come back. Never raw data values.
import type { AttackId, AuditReport } from '../../../libs/engine/src/types';

export interface AuditChildInput {
  readonly modelPath: string;
  readonly members: { readonly path: string; readonly name: string };
  readonly nonMembers: { readonly path: string; readonly name: string };
  readonly population?: { readonly path: string; readonly name: string };
  readonly labelColumn: string;
  readonly idColumn?: string;
  readonly attacks?: AttackId[];
  readonly seed: number;
  readonly referenceModels?: number;
  readonly maxModelBytes: number;
}

export type ParentToChild = { type: 'run'; input: AuditChildInput } | { type: 'abort' };

export type ChildToParent =
  | { type: 'progress'; phase: string; fraction: number }
  | { type: 'report'; report: AuditReport }
  | { type: 'failed'; code: string; message: string; engineError: boolean };
