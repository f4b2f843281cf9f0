import type { ModelSignature } from '../../../engine/src/types';
import type { EndpointDescription, ModelRecord, ModelVersionPreprocessing, ModelVersionRecord } from '../records';

/** How a model version's spec is named in messages and reports (its bytes have no file name of their own). */
export const PREPROCESSING_SPEC_NAME = 'preprocessing.json';

export class PreprocessingAlreadySetError extends Error {
  constructor(readonly existingSha256: string) {
    super('the model version already has a different preprocessing spec');
    this.name = 'PreprocessingAlreadySetError';
  }
}

export abstract class ModelRepository {
  abstract createModel(input: { name: string; description: string | null }): Promise<ModelRecord>;
  abstract findModel(id: string): Promise<ModelRecord | null>;
  abstract listModels(): Promise<ModelRecord[]>;
  /** Adds the next version number of a model (1, 2, ...). */
  abstract addVersion(input: {
    modelId: string;
    sha256: string;
    sizeBytes: number;
    signature: ModelSignature;
    numClasses?: number | null;
    classNames?: readonly string[] | null;
  }): Promise<ModelVersionRecord>;
  /** Adds the next version number of a model as a remote endpoint; `id` is chosen by the caller (the secrets' AAD). */
  abstract addEndpointVersion(input: {
    id: string;
    modelId: string;
    sha256: string;
    signature: ModelSignature;
    numClasses: number | null;
    classNames: readonly string[] | null;
    endpoint: EndpointDescription;
    /** Ciphertext of the auth secrets (endpoint-secret-box.ts), or null when there are none. */
    endpointSecrets: string | null;
    ownershipToken: string | null;
  }): Promise<ModelVersionRecord>;
  abstract findVersion(id: string): Promise<ModelVersionRecord | null>;
  /** Installation-wide: the tenant of a version (an inbound webhook, signed by the installation, names only it). */
  abstract tenantOfVersion(id: string): Promise<string | null>;
  /** The endpoint version's encrypted secrets (the worker decrypts them), or null. Never part of a record. */
  abstract findEndpointSecrets(versionId: string): Promise<string | null>;
  /** Records a successful ownership proof; null when the version does not exist. */
  abstract markOwnershipVerified(versionId: string): Promise<ModelVersionRecord | null>;
  /**
   * Sets a version's preprocessing spec once: the same spec again is a no-op; a different one throws
   * PreprocessingAlreadySetError (audits already ran with the first). Null when the version does not exist.
   */
  abstract setPreprocessing(
    versionId: string,
    preprocessing: ModelVersionPreprocessing,
  ): Promise<ModelVersionRecord | null>;
  abstract listVersions(modelId: string): Promise<ModelVersionRecord[]>;
}
