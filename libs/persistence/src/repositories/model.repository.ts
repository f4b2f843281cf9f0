import type { ModelSignature } from '../../../engine/src/types';
import type { ModelRecord, ModelVersionRecord } from '../records';

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
  }): Promise<ModelVersionRecord>;
  abstract findVersion(id: string): Promise<ModelVersionRecord | null>;
  abstract listVersions(modelId: string): Promise<ModelVersionRecord[]>;
}
