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
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import type { ModelRecord, ModelVersionRecord } from '../../../../libs/persistence/src/records';
import {
  ModelRepository,
  PREPROCESSING_SPEC_NAME,
  PreprocessingAlreadySetError,
} from '../../../../libs/persistence/src/repositories/model.repository';
import { verifyEndpointOwnership } from '../../../../libs/engine/src/targets/http/outbound-policy';
import {
  EndpointSecretBox,
  SecretsUnavailableError,
} from '../../../../libs/persistence/src/secrets/endpoint-secret-box';
import { EngineCheckPool } from '../engine-checks/engine-check-pool';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { receiveUpload } from '../http/streamed-upload';
import {
  checkEndpointRegistration,
  newOwnershipToken,
  ownershipState,
  serviceOutboundPolicy,
} from './endpoint-registration';
import { modelVersionResource, type ModelVersionResource } from './model-version-resource';

/** Registered models and their versions: each version is a validated ONNX file stored by its sha256. */
@Injectable()
export class ModelRegistryService {
  constructor(
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EndpointSecretBox) private readonly secrets: EndpointSecretBox,
    @Inject(EngineCheckPool) private readonly checks: EngineCheckPool,
  ) {}

  /** The outbound policy under today's OUTBOUND_ALLOW_HOSTS. */
  outboundPolicy() {
    return serviceOutboundPolicy(this.config.OUTBOUND_ALLOW_HOSTS);
  }

  /** The version as the API shows it (no secrets; ownership state under today's allow-list). */
  resource(version: ModelVersionRecord): ModelVersionResource {
    return modelVersionResource(version, this.outboundPolicy());
  }

  /**
   * Registers a remote endpoint as the model's next version: the spec checked with the engine, the destination
   * refused unless public (or allow-listed), the auth secrets encrypted, the sha256 the engine's canonical spec
   * hash. A host that is not allow-listed gets an ownership token to serve before any audit queries it.
   */
  async registerEndpointVersion(modelId: string, body: unknown): Promise<ModelVersionResource> {
    await this.get(modelId);
    const endpoint = await checkEndpointRegistration(body, this.outboundPolicy());
    const id = randomUUID();
    const hasSecrets = Object.keys(endpoint.secrets.headers).length > 0 || endpoint.secrets.query !== '';
    let sealed: string | null = null;
    if (hasSecrets) {
      try {
        sealed = this.secrets.seal(endpoint.secrets, id);
      } catch (e) {
        if (e instanceof SecretsUnavailableError)
          throw new ServiceError(ServiceErrorCode.SecretsUnavailable, e.message);
        throw e;
      }
    }
    const version = await this.models.addEndpointVersion({
      id,
      modelId,
      sha256: endpoint.sha256,
      signature: endpoint.signature,
      numClasses: endpoint.numClasses,
      classNames: endpoint.classNames,
      endpoint: endpoint.description,
      endpointSecrets: sealed,
      ownershipToken: newOwnershipToken(),
    });
    return this.resource(version);
  }

  /**
   * Runs the ownership check of an endpoint version (the engine's verifyEndpointOwnership: one GET of the
   * well-known URL through the guarded client, no query spent) and records it. An allow-listed host needs none.
   */
  async verifyOwnership(versionId: string): Promise<ModelVersionResource> {
    const version = await this.getVersion(versionId);
    const policy = this.outboundPolicy();
    const state = ownershipState(version, policy);
    if (!version.endpoint || state === null) {
      throw new ServiceError(
        ServiceErrorCode.WrongModelVersionKind,
        `model version ${version.version} is an uploaded file, not an endpoint: there is no ownership to prove`,
      );
    }
    if (!state.required) return this.resource(version);
    if (version.ownershipToken === null) {
      throw new EngineError(
        EngineErrorCode.TargetOwnershipUnproven,
        `model version ${version.version} has no ownership token; register the endpoint again`,
      );
    }
    await verifyEndpointOwnership(version.endpoint.url, version.ownershipToken, policy);
    return this.resource(
      foundOrNotFound(await this.models.markOwnershipVerified(version.id), `model version ${versionId}`),
    );
  }

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
    const versions = await this.models.listVersions(modelId);
    // A version the tenant can see proves its model exists (same-tenant foreign key): only an empty list needs the
    // model looked up (404 for an unknown one), which saves a tenant transaction on the common path.
    if (versions.length === 0) await this.get(modelId);
    return versions;
  }

  /** Installation-wide: the tenant a version belongs to (an inbound webhook names only the version). */
  tenantOfVersion(id: string): Promise<string | null> {
    return this.models.tenantOfVersion(id);
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
      // Decoded and inspected in a check thread (up to MAX_MODEL_BYTES of protobuf), never on the event loop.
      const signature = await this.checks.run('model', {
        path: upload.path,
        maxBytes: this.config.MAX_MODEL_BYTES,
        ...(numClasses !== undefined ? { numClasses } : {}),
      });
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
    if (version.kind !== 'onnx') {
      throw new ServiceError(
        ServiceErrorCode.WrongModelVersionKind,
        `model version ${version.version} is a remote endpoint: a preprocessing spec applies to uploaded model files`,
      );
    }
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
