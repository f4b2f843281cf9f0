// The engine work the api does before it stores or queues anything: validating an uploaded dataset (CSV parse,
// full read as the audit will do it), inspecting an uploaded ONNX file (protobuf decode, graph limits), and
// validating and pricing an audit request (the engine's planAudit, the CLI's --dry-run). Each is a plain function
// of files on disk and plain data, so it runs in one of the api's check threads (engine-check-pool.ts), never on
// the event loop, and its result and errors cross the thread boundary as plain data.
import { readFile } from 'node:fs/promises';
import { inferCsvSchema, loadLabeledCsv } from '../../../../libs/engine/src/data/csv-dataset';
import { didYouMean } from '../../../../libs/engine/src/data/input-hints';
import { EngineError, EngineErrorCode, isEngineError } from '../../../../libs/engine/src/errors';
import { type AuditPlan, planAudit } from '../../../../libs/engine/src/audit/plan-audit';
import type { AuditRequest, CsvInput } from '../../../../libs/engine/src/audit/audit-request';
import {
  parsePreprocessingSpec,
  type PreprocessingSpec,
} from '../../../../libs/engine/src/preprocessing/preprocessing-spec';
import { inspectOnnx } from '../../../../libs/engine/src/targets/onnx-inspection';
import type { ModelSignature } from '../../../../libs/engine/src/types';
import type { AuditRequestFiles, FileInput } from '../../../../libs/persistence/src/audit-request-files';
import type { DatasetColumn } from '../../../../libs/persistence/src/records';
import { labelClassNames } from '../datasets/label-class-names';

export interface DatasetUploadCheck {
  readonly path: string;
  readonly fileLabel: string;
  readonly labelColumn: string;
  readonly idColumn?: string;
}

export interface DatasetUploadSchema {
  readonly rows: number;
  readonly columns: DatasetColumn[];
}

/**
 * A dataset upload validated the way the audit will read it: declared columns in the header, then a full read
 * (NaN/Infinity cells, non-numeric features, bad labels and duplicate ids refused with row and column). String
 * labels (class names) are accepted: the audit maps them to the model's outputs with its declared `classes`.
 */
export async function checkDatasetUpload(c: DatasetUploadCheck): Promise<DatasetUploadSchema> {
  const { fileLabel } = c;
  const schema = await inferCsvSchema(c.path, { fileLabel });
  for (const [what, column] of [
    ['label column', c.labelColumn],
    ['id column', c.idColumn],
  ] as const) {
    if (column !== undefined && !schema.columns.some((col) => col.name === column)) {
      throw new EngineError(
        EngineErrorCode.CsvMissingColumn,
        `${fileLabel}: declared ${what} '${column}' is not in the header${didYouMean(
          column,
          schema.columns.map((col) => col.name),
        )}`,
        { file: fileLabel, column },
      );
    }
  }
  const labelType = schema.columns.find((col) => col.name === c.labelColumn)?.type;
  const rawColumns = rawFeatureColumns({ ...c, columns: schema.columns });
  await loadLabeledCsv(c.path, {
    fileLabel,
    labelColumn: c.labelColumn,
    ...(c.idColumn !== undefined ? { idColumn: c.idColumn } : {}),
    ...(labelType === 'string' ? { classes: await labelClassNames(c.path, c.labelColumn, fileLabel) } : {}),
    // A raw table (string or missing cells among its features) is encoded by the preprocessing spec of the
    // model version it is audited against: checked then, cell by cell. Here its structure, labels and ids.
    ...(rawColumns.length > 0 ? { preprocessing: structureOnlySpec(c.labelColumn, schema.columns, c.idColumn) } : {}),
  });
  return { rows: schema.rows, columns: [...schema.columns] };
}

/**
 * Feature columns holding string or missing cells: the dataset is a raw table, which only a model version's
 * preprocessing spec can encode into model inputs. Empty for an already-numeric table.
 */
export function rawFeatureColumns(dataset: {
  readonly labelColumn: string;
  readonly idColumn?: string | null;
  readonly columns: readonly DatasetColumn[];
}): string[] {
  return dataset.columns
    .filter((c) => c.name !== dataset.labelColumn && c.name !== dataset.idColumn)
    .filter((c) => c.type === 'string' || c.missing > 0)
    .map((c) => c.name);
}

/**
 * A spec that reads every feature column as a missing indicator, which accepts any cell: loading through it
 * checks a raw table's structure, labels and ids without encoding a feature the real spec will encode later.
 */
function structureOnlySpec(
  labelColumn: string,
  columns: readonly DatasetColumn[],
  idColumn: string | undefined,
): PreprocessingSpec {
  const features = columns
    .filter((c) => c.name !== labelColumn && c.name !== idColumn)
    .map((c) => ({ column: c.name, type: 'missing-indicator' }));
  return parsePreprocessingSpec(JSON.stringify({ label: { column: labelColumn }, features }), 'structure check');
}

export interface ModelUploadCheck {
  readonly path: string;
  readonly maxBytes: number;
  readonly numClasses?: number;
}

/**
 * inspectOnnx of the uploaded file with the declared class count. A labels-only model without one is refused
 * naming the upload's own query parameters (the engine's message names the CLI's options); a scores model's
 * output width must equal it.
 */
export async function checkModelUpload(c: ModelUploadCheck): Promise<ModelSignature> {
  const bytes = await readFile(c.path);
  try {
    return inspectOnnx(bytes, {
      maxBytes: c.maxBytes,
      ...(c.numClasses !== undefined ? { numClasses: c.numClasses } : {}),
    });
  } catch (e) {
    if (c.numClasses === undefined && e instanceof EngineError && e.code === EngineErrorCode.InvalidOption) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        "numClasses is required: the model outputs class indices only (a labels-only model), which do not say how many classes it has; upload it with the query parameter numClasses=<n>, or classNames=<name> once per class in the model's output order",
        { column: 'numClasses' },
      );
    }
    throw e;
  }
}

/**
 * An audit request whose files are named by path (the shared mapping of libs/persistence): the thread reads them,
 * so no model or spec bytes are copied through the api's event loop. An endpoint version adds its spec, without
 * secrets: planning sends nothing.
 */
export interface AuditRequestByPath extends AuditRequestFiles {
  readonly remoteTarget?: AuditRequest['remoteTarget'];
  readonly outbound?: { readonly allowHosts: string[]; readonly queryBudget?: number };
}

/** The engine's planAudit (validate + price: the CLI's --dry-run) of a request named by paths. */
export async function checkAuditRequest(req: AuditRequestByPath): Promise<AuditPlan> {
  const { modelPath, preprocessing, members, nonMembers, population, outbound, ...rest } = req;
  const csv = (f: FileInput): CsvInput => ({ path: f.path, name: f.name });
  return planAudit(
    {
      ...rest,
      members: csv(members),
      nonMembers: csv(nonMembers),
      ...(population ? { population: csv(population) } : {}),
      ...(outbound ? { outbound: { ...outbound, allowHosts: [...outbound.allowHosts] } } : {}),
      ...(modelPath !== undefined ? { model: await readFile(modelPath) } : {}),
      ...(preprocessing !== undefined
        ? { preprocessing: { name: preprocessing.name, data: await readFile(preprocessing.path) } }
        : {}),
    },
    // A plan over the endpoint's query budget is refused here (422 naming queryBudget), before anything is stored.
    { enforceQueryBudget: true },
  );
}

export const ENGINE_CHECKS = {
  dataset: checkDatasetUpload,
  model: checkModelUpload,
  audit: checkAuditRequest,
} as const;

export type EngineCheckName = keyof typeof ENGINE_CHECKS;
export type EngineCheckArgs<K extends EngineCheckName> = Parameters<(typeof ENGINE_CHECKS)[K]>[0];
export type EngineCheckResult<K extends EngineCheckName> = Awaited<ReturnType<(typeof ENGINE_CHECKS)[K]>>;

/** What crosses the thread boundary: a value, or an error as plain data (an Error's own fields are not cloned). */
export type EngineCheckOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error:
        | {
            readonly kind: 'engine';
            readonly code: EngineErrorCode;
            readonly message: string;
            readonly location?: EngineError['location'];
          }
        | { readonly kind: 'internal'; readonly message: string };
    };

export async function runEngineCheck<K extends EngineCheckName>(
  name: K,
  args: EngineCheckArgs<K>,
): Promise<EngineCheckOutcome<EngineCheckResult<K>>> {
  try {
    const check = ENGINE_CHECKS[name] as (a: EngineCheckArgs<K>) => Promise<EngineCheckResult<K>>;
    return { ok: true, value: await check(args) };
  } catch (e) {
    if (isEngineError(e)) {
      return {
        ok: false,
        error: {
          kind: 'engine',
          code: e.code,
          message: e.message,
          ...(e.location ? { location: { ...e.location } } : {}),
        },
      };
    }
    return { ok: false, error: { kind: 'internal', message: e instanceof Error ? e.message : String(e) } };
  }
}

/** The outcome back in the api: the value, or the same EngineError the check threw. */
export function unwrapEngineCheck<T>(outcome: EngineCheckOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { error } = outcome;
  if (error.kind === 'engine') throw new EngineError(error.code, error.message, error.location);
  throw new Error(`engine check failed: ${error.message}`);
}
