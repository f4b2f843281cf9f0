import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import {
  assertSpecFitsModel,
  parsePreprocessingSpec,
} from '../../../../libs/engine/src/preprocessing/preprocessing-spec';
import { inspectOnnx } from '../../../../libs/engine/src/targets/onnx-inspection';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import type { ModelRecord, ModelVersionRecord } from '../../../../libs/persistence/src/records';
import {
  ModelRepository,
  PREPROCESSING_SPEC_NAME,
  PreprocessingAlreadySetError,
} from '../../../../libs/persistence/src/repositories/model.repository';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
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
  async uploadVersion(
    modelId: string,
    req: IncomingMessage,
    declared: DeclaredClasses = {},
  ): Promise<ModelVersionRecord> {
    await this.get(modelId);
    const numClasses = declaredClassCount(declared);
    const upload = await receiveUpload(req, {
      limitBytes: this.config.MAX_MODEL_BYTES,
      tempDir: this.blobs.tempDir(),
      what: 'model file',
      contentTypes: ['application/octet-stream'],
    });
    try {
      const bytes = await readFile(upload.path);
      const signature = inspectWithDeclaredClasses(bytes, this.config.MAX_MODEL_BYTES, numClasses);
      await this.blobs.adopt(upload.path, upload.sha256);
      return await this.models.addVersion({
        modelId,
        sha256: upload.sha256,
        sizeBytes: upload.sizeBytes,
        signature,
        numClasses: numClasses ?? null,
        classNames: declared.classNames ?? null,
      });
    } finally {
      await rm(upload.path, { force: true });
    }
  }

  /**
   * Sets the version's preprocessing spec (the JSON body's bytes, hashed as sent): parsed and checked with the
   * engine against the version's input width and classes, then stored as a blob. Set once: the same spec
   * again is a no-op, a different one a 409 (audits may already have run with the first).
   */
  async setPreprocessing(versionId: string, body: Buffer | undefined): Promise<ModelVersionRecord> {
    const version = await this.getVersion(versionId);
    if (body === undefined || body.length === 0) {
      throw new ServiceError(
        ServiceErrorCode.UnsupportedMediaType,
        'send the preprocessing spec as the JSON body with content-type application/json',
      );
    }
    const spec = parsePreprocessingSpec(body, PREPROCESSING_SPEC_NAME);
    assertSpecFitsModel(spec, version.signature.nFeatures, `model version ${version.version}`);
    const classes = spec.label.classes;
    if (classes !== undefined && version.classNames && classes.join('\u0000') !== version.classNames.join('\u0000')) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `preprocessing spec ${spec.name} names other classes than model version ${version.version} was uploaded with (classNames); the same names in the same order, or none in the spec`,
        { file: spec.name },
      );
    }
    if (classes !== undefined && classes.length !== version.signature.numClasses) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `preprocessing spec ${spec.name} names ${classes.length} classes, but model version ${version.version} has ${version.signature.numClasses}`,
        { file: spec.name },
      );
    }
    const temp = join(this.blobs.tempDir(), `preprocessing-${randomUUID()}`);
    try {
      await writeFile(temp, body, { flag: 'wx', mode: 0o600 });
      await this.blobs.adopt(temp, spec.sha256);
      const updated = await this.models.setPreprocessing(version.id, {
        sha256: spec.sha256,
        sizeBytes: body.length,
        rawColumns: [...spec.rawColumns],
        inputs: spec.width,
        labelColumn: spec.label.column,
        ...(classes !== undefined ? { classes: [...classes] } : {}),
      });
      return foundOrNotFound(updated, `model version ${versionId}`);
    } catch (e) {
      if (e instanceof PreprocessingAlreadySetError) {
        throw new ServiceError(
          ServiceErrorCode.PreprocessingAlreadySet,
          `model version ${version.version} already has a different preprocessing spec; upload a new version to change it`,
          { existingSha256: e.existingSha256 },
        );
      }
      throw e;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** The version's preprocessing spec, parsed from the stored bytes. */
  async getPreprocessing(versionId: string): Promise<unknown> {
    const version = await this.getVersion(versionId);
    if (!version.preprocessing) {
      throw new ServiceError(ServiceErrorCode.NotFound, `model version ${versionId} has no preprocessing spec`);
    }
    return JSON.parse(await readFile(this.blobs.localPath(version.preprocessing.sha256), 'utf8')) as unknown;
  }
}

/** Classes declared with an upload (query parameters): a labels-only model needs one of them. */
export interface DeclaredClasses {
  readonly numClasses?: number;
  /** In the model's output order; their count is the number of classes. */
  readonly classNames?: readonly string[];
}

function declaredClassCount(declared: DeclaredClasses): number | undefined {
  const { numClasses, classNames } = declared;
  if (classNames !== undefined && new Set(classNames).size !== classNames.length) {
    throw new ServiceError(ServiceErrorCode.ValidationFailed, 'classNames: each class name must appear once');
  }
  if (numClasses !== undefined && classNames !== undefined && numClasses !== classNames.length) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `numClasses is ${numClasses} but ${classNames.length} classNames are given; give one of them, or both agreeing`,
    );
  }
  return numClasses ?? classNames?.length;
}

/**
 * inspectOnnx with the declared class count. A labels-only model without one is refused naming the upload's
 * own query parameters (the engine's message names the CLI's options); a scores model's output width must equal it.
 */
function inspectWithDeclaredClasses(bytes: Uint8Array, maxBytes: number, numClasses: number | undefined) {
  try {
    return inspectOnnx(bytes, { maxBytes, ...(numClasses !== undefined ? { numClasses } : {}) });
  } catch (e) {
    if (numClasses === undefined && e instanceof EngineError && e.code === EngineErrorCode.InvalidOption) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        "numClasses is required: the model outputs class indices only (a labels-only model), which do not say how many classes it has; upload it with the query parameter numClasses=<n>, or classNames=<name> once per class in the model's output order",
        { column: 'numClasses' },
      );
    }
    throw e;
  }
}
