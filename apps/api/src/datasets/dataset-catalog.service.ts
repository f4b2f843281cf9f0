import { Inject, Injectable } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { inferCsvSchema, loadLabeledCsv } from '../../../../libs/engine/src/data/csv-dataset';
import { didYouMean } from '../../../../libs/engine/src/data/input-hints';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import {
  parsePreprocessingSpec,
  type PreprocessingSpec,
} from '../../../../libs/engine/src/preprocessing/preprocessing-spec';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import { DataVault } from '../../../../libs/persistence/src/encryption/data-vault';
import type { DatasetColumn, DatasetRecord, DatasetRole } from '../../../../libs/persistence/src/records';
import { DatasetRepository } from '../../../../libs/persistence/src/repositories/dataset.repository';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { receiveUpload } from '../http/streamed-upload';
import { labelClassNames } from './label-class-names';

export interface DatasetDeclaration {
  readonly name: string;
  readonly role: DatasetRole;
  readonly labelColumn: string;
  readonly idColumn?: string;
}

/** Uploaded CSV samples (members, non-members, population), validated the way the audit will read them. */
@Injectable()
export class DatasetCatalogService {
  constructor(
    @Inject(DatasetRepository) private readonly datasets: DatasetRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DataVault) private readonly vault: DataVault,
  ) {}

  async get(id: string): Promise<DatasetRecord> {
    return foundOrNotFound(await this.datasets.findById(id), `dataset ${id}`);
  }

  list(): Promise<DatasetRecord[]> {
    return this.datasets.list();
  }

  async upload(declaration: DatasetDeclaration, req: IncomingMessage): Promise<DatasetRecord> {
    // Refused before a byte is read: a dataset is never stored in clear.
    if (!this.vault.configured)
      throw new ServiceError(
        ServiceErrorCode.DataEncryptionUnavailable,
        'DATA_ENCRYPTION_KEY is not set: datasets are stored only encrypted, so none can be uploaded (docs/security.md)',
      );
    const upload = await receiveUpload(req, {
      limitBytes: this.config.MAX_DATASET_BYTES,
      tempDir: this.blobs.tempDir(),
      what: 'dataset',
      contentTypes: ['text/csv', 'application/csv'],
    });
    try {
      const fileLabel = `${declaration.name}.csv`;
      const schema = await inferCsvSchema(upload.path, { fileLabel });
      for (const [what, column] of [
        ['label column', declaration.labelColumn],
        ['id column', declaration.idColumn],
      ] as const) {
        if (column !== undefined && !schema.columns.some((c) => c.name === column)) {
          throw new EngineError(
            EngineErrorCode.CsvMissingColumn,
            `${fileLabel}: declared ${what} '${column}' is not in the header${didYouMean(
              column,
              schema.columns.map((c) => c.name),
            )}`,
            { file: fileLabel, column },
          );
        }
      }
      // Full read as the audit will do it: NaN/Infinity cells, non-numeric features, bad labels and
      // duplicate ids are refused now, with row and column, instead of failing an audit later. String labels
      // (class names) are accepted: the audit maps them to the model's outputs with its declared `classes`.
      const labelType = schema.columns.find((c) => c.name === declaration.labelColumn)?.type;
      const rawColumns = rawFeatureColumns({ ...declaration, columns: schema.columns });
      await loadLabeledCsv(upload.path, {
        fileLabel,
        labelColumn: declaration.labelColumn,
        ...(declaration.idColumn !== undefined ? { idColumn: declaration.idColumn } : {}),
        ...(labelType === 'string'
          ? { classes: await labelClassNames(upload.path, declaration.labelColumn, fileLabel) }
          : {}),
        // A raw table (string or missing cells among its features) is encoded by the preprocessing spec of the
        // model version it is audited against: checked then, cell by cell. Here its structure, labels and ids.
        ...(rawColumns.length > 0
          ? { preprocessing: structureOnlySpec(declaration.labelColumn, schema.columns, declaration.idColumn) }
          : {}),
      });
      // Sealed under a new data key of its own (encryption at rest); the plaintext temp file is removed below.
      const sealed = await this.vault.sealNewFile(upload.path);
      return await this.datasets.create({
        keyId: sealed.keyId,
        blobSha256: sealed.blobSha256,
        name: declaration.name,
        role: declaration.role,
        labelColumn: declaration.labelColumn,
        idColumn: declaration.idColumn ?? null,
        sha256: upload.sha256,
        sizeBytes: upload.sizeBytes,
        rows: schema.rows,
        columns: schema.columns,
      });
    } finally {
      await rm(upload.path, { force: true });
    }
  }
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

/** Feature columns of a dataset as the engine reads them: every column except label and id, in file order. */
export function featureColumnsOf(dataset: DatasetRecord): string[] {
  return dataset.columns.map((c) => c.name).filter((name) => name !== dataset.labelColumn && name !== dataset.idColumn);
}
