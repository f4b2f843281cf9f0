// The engine's ReferenceModelStore over Postgres: the worker trains into it, and the audit reads from it. Weights
// are derived from members, so they are sealed under the data key of the audit's members dataset (data-vault.ts).
import {
  decodeWeights,
  encodeWeights,
  type ReferenceModelStore,
} from '../../engine/src/training/reference-model-store';
import type { MlpWeights } from '../../engine/src/training/mlp';
import type { DataVault } from './encryption/data-vault';
import { ReferenceModelRepository } from './repositories/reference-model.repository';

/** How new weights are sealed: under `keyId` (null: the members dataset predates encryption), derived from `sources`. */
export interface ReferenceModelSealing {
  readonly keyId: string | null;
  readonly sources: readonly string[];
}

export class PostgresReferenceModelStore implements ReferenceModelStore {
  constructor(
    private readonly models: ReferenceModelRepository,
    private readonly vault?: DataVault,
    private readonly sealing?: ReferenceModelSealing,
  ) {}

  async get(key: string): Promise<MlpWeights | undefined> {
    const row = await this.models.find(key);
    if (!row) return undefined;
    try {
      const bytes =
        row.keyId === null
          ? row.weights
          : await this.requireVault().openWeights(row.weights, row.keyId, `reference model ${key.slice(0, 12)}`);
      return decodeWeights(bytes);
    } catch {
      // An unreadable row (tampered, or its key destroyed) is a miss, as in the file store: the model is retrained.
      return undefined;
    }
  }

  async put(key: string, weights: MlpWeights): Promise<void> {
    await this.putEncoded(key, encodeWeights(weights));
  }

  /** Stores already encoded weights (what a child process sends back), sealed. */
  async putEncoded(key: string, encoded: Buffer): Promise<boolean> {
    const keyId = this.sealing?.keyId ?? null;
    const bytes =
      keyId === null
        ? encoded
        : this.requireVault().sealWeights(encoded, await this.requireVault().dataKey(keyId, 'reference model'));
    return this.models.putIfAbsent(key, bytes, { keyId, sources: this.sealing?.sources ?? [] });
  }

  private requireVault(): DataVault {
    if (!this.vault) throw new Error('sealed reference models need the data vault');
    return this.vault;
  }
}
