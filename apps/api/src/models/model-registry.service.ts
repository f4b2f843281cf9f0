import { Inject, Injectable } from '@nestjs/common';
import { readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { inspectOnnx } from '../../../../libs/engine/src/targets/onnx-inspection';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import type { ModelRecord, ModelVersionRecord } from '../../../../libs/persistence/src/records';
import { ModelRepository } from '../../../../libs/persistence/src/repositories/model.repository';
import { foundOrNotFound } from '../http/service-error';
import { receiveUpload } from '../http/streamed-upload';

/** Registered models and their versions: each version is a validated ONNX file stored by its sha256. */
@Injectable()
export class ModelRegistryService {
  constructor(
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  register(name: string, description: string | null): Promise<ModelRecord> {
    return this.models.createModel({ name, description });
  }

  async get(id: string): Promise<ModelRecord> {
    return foundOrNotFound(await this.models.findModel(id), `model ${id}`);
  }

  list(): Promise<ModelRecord[]> {
    return this.models.listModels();
  }

  async listVersions(modelId: string): Promise<ModelVersionRecord[]> {
    await this.get(modelId);
    return this.models.listVersions(modelId);
  }

  async getVersion(id: string): Promise<ModelVersionRecord> {
    return foundOrNotFound(await this.models.findVersion(id), `model version ${id}`);
  }

  /**
   * Streams the upload to a temp file, validates it as an untrusted ONNX classifier, and only then stores
   * the blob and the version row: a refused file leaves nothing behind.
   */
  async uploadVersion(modelId: string, req: IncomingMessage): Promise<ModelVersionRecord> {
    await this.get(modelId);
    const upload = await receiveUpload(req, {
      limitBytes: this.config.MAX_MODEL_BYTES,
      tempDir: this.blobs.tempDir(),
      what: 'model file',
      contentTypes: ['application/octet-stream'],
    });
    try {
      const bytes = await readFile(upload.path);
      const signature = inspectOnnx(bytes, { maxBytes: this.config.MAX_MODEL_BYTES });
      await this.blobs.adopt(upload.path, upload.sha256);
      return await this.models.addVersion({ modelId, sha256: upload.sha256, sizeBytes: upload.sizeBytes, signature });
    } finally {
      await rm(upload.path, { force: true });
    }
  }
}
