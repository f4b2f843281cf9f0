// The one mapping from a stored audit (or one about to be stored) to the engine's request, with its files named by
// local paths (the model and spec as stored, the datasets where the caller opened them): the api plans and prices
// an audit with it (POST /audits, re-audits), the worker runs the audit and its reference-model jobs with it. One mapping, so the cache keys the api prices are the keys the jobs train.
import type { AuditRequest } from '../../engine/src/audit/audit-request';
import type { AttackId } from '../../engine/src/types';
import type { AuditRecord, DatasetRecord, ModelVersionRecord } from './records';
import { PREPROCESSING_SPEC_NAME } from './repositories/model.repository';

/** The audit's own options, as stored on its row. */
export type AuditOptionFields = Pick<
  AuditRecord,
  | 'groupColumn'
  | 'classes'
  | 'outputPolicy'
  | 'attacks'
  | 'seed'
  | 'referenceModels'
  | 'referenceTraining'
  | 'referenceHidden'
  | 'referenceActivation'
  | 'duplicates'
  | 'targetTrainSize'
>;

export interface FileInput {
  readonly path: string;
  readonly name: string;
}

/** An AuditRequest whose model, spec and CSVs are files on disk (the target itself is the caller's to add). */
export interface AuditRequestFiles extends Omit<
  AuditRequest,
  'model' | 'remoteTarget' | 'outbound' | 'preprocessing' | 'members' | 'nonMembers' | 'population'
> {
  /** The ONNX file; absent for an endpoint version. */
  readonly modelPath?: string;
  readonly members: FileInput;
  readonly nonMembers: FileInput;
  readonly population?: FileInput;
  /** The model version's preprocessing spec: the CSVs are raw tables encoded through it. */
  readonly preprocessing?: FileInput;
  readonly seed: number;
  readonly maxModelBytes: number;
}

export function auditRequestFiles(
  audit: AuditOptionFields,
  version: ModelVersionRecord,
  datasets: {
    readonly members: DatasetRecord;
    readonly nonMembers: DatasetRecord;
    readonly population?: DatasetRecord | undefined;
  },
  /** Where each dataset was opened (sealed at rest: DataVault): members, non-members, population. */
  openedPaths: readonly [string, string, string?],
  localPath: (sha256: string) => string,
  maxModelBytes: number,
): AuditRequestFiles {
  const { members, nonMembers, population } = datasets;
  const [membersPath, nonMembersPath, populationPath] = openedPaths;
  const file = (d: DatasetRecord, path: string) => ({ path, name: `${d.name}.csv` });
  return {
    ...(version.kind === 'endpoint' ? {} : { modelPath: localPath(version.sha256) }),
    members: file(members, membersPath),
    nonMembers: file(nonMembers, nonMembersPath),
    ...(population && populationPath !== undefined ? { population: file(population, populationPath) } : {}),
    labelColumn: members.labelColumn,
    ...(members.idColumn ? { idColumn: members.idColumn } : {}),
    ...(audit.groupColumn ? { groupColumn: audit.groupColumn } : {}),
    ...(version.preprocessing
      ? { preprocessing: { path: localPath(version.preprocessing.sha256), name: PREPROCESSING_SPEC_NAME } }
      : {}),
    ...(audit.classes
      ? { classes: [...audit.classes] }
      : version.classNames
        ? { classes: [...version.classNames] }
        : {}),
    ...(version.numClasses !== null ? { numClasses: version.numClasses } : {}),
    ...(audit.outputPolicy ? { outputPolicy: audit.outputPolicy } : {}),
    ...(audit.attacks ? { attacks: audit.attacks as AttackId[] } : {}),
    seed: audit.seed,
    ...(audit.referenceModels ? { referenceModels: audit.referenceModels } : {}),
    ...(audit.referenceTraining ? { referenceTraining: { ...audit.referenceTraining } } : {}),
    ...(audit.referenceHidden ? { referenceHidden: [...audit.referenceHidden] } : {}),
    ...(audit.referenceActivation ? { referenceActivation: audit.referenceActivation } : {}),
    ...(audit.duplicates ? { duplicates: audit.duplicates } : {}),
    ...(audit.targetTrainSize ? { targetTrainSize: audit.targetTrainSize } : {}),
    maxModelBytes,
  };
}
