import { Inject, Injectable } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import { DataVault } from '../../../../libs/persistence/src/encryption/data-vault';
import type { DatasetRecord, DatasetRole } from '../../../../libs/persistence/src/records';
import { DatasetRepository } from '../../../../libs/persistence/src/repositories/dataset.repository';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { receiveUpload } from '../http/streamed-upload';
import { EngineCheckPool } from '../engine-checks/engine-check-pool';
import { rawFeatureColumns } from '../engine-checks/engine-check-tasks';

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
    @Inject(EngineCheckPool) private readonly checks: EngineCheckPool,
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
      // Parsed and read whole in a check thread, as the audit will read it (engine-check-tasks.ts).
      const schema = await this.checks.run('dataset', {
        path: upload.path,
        fileLabel: `${declaration.name}.csv`,
        labelColumn: declaration.labelColumn,
        ...(declaration.idColumn !== undefined ? { idColumn: declaration.idColumn } : {}),
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

export { rawFeatureColumns };

/** Feature columns of a dataset as the engine reads them: every column except label and id, in file order. */
export function featureColumnsOf(dataset: DatasetRecord): string[] {
  return dataset.columns.map((c) => c.name).filter((name) => name !== dataset.labelColumn && name !== dataset.idColumn);
}
