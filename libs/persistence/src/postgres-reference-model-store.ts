// The engine's ReferenceModelStore over Postgres: the worker trains into it, and the audit reads from it.
import {
  decodeWeights,
  encodeWeights,
  type ReferenceModelStore,
} from '../../engine/src/training/reference-model-store';
import type { MlpWeights } from '../../engine/src/training/mlp';
import { ReferenceModelRepository } from './repositories/reference-model.repository';

export class PostgresReferenceModelStore implements ReferenceModelStore {
  constructor(private readonly models: ReferenceModelRepository) {}

  async get(key: string): Promise<MlpWeights | undefined> {
    const bytes = await this.models.find(key);
    // An unreadable row is a miss, as in the file store: the model is retrained (the insert then keeps the old row).
    return bytes ? decodeWeights(bytes) : undefined;
  }

  async put(key: string, weights: MlpWeights): Promise<void> {
    await this.models.putIfAbsent(key, encodeWeights(weights));
  }
}
