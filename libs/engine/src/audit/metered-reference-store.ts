// Counts what the reference-model cache saved an audit: every model the provider finds in the store is a
// model not trained, and every model it puts there is one it had to train. The provider does not expose its
// cache keys, so counting at the store is how the report learns modelsCached / modelsTrained. Without a
// cache directory the inner store is absent: nothing is found, trained models are only counted.

import type { MlpWeights } from '../training/mlp';
import type { ReferenceModelStore } from '../training/reference-model-store';

export class MeteredReferenceModelStore implements ReferenceModelStore {
  private hitCount = 0;
  private putCount = 0;

  constructor(private readonly inner?: ReferenceModelStore) {}

  get modelsCached(): number {
    return this.hitCount;
  }

  get modelsTrained(): number {
    return this.putCount;
  }

  async get(key: string): Promise<MlpWeights | undefined> {
    const weights = await this.inner?.get(key);
    if (weights !== undefined) this.hitCount++;
    return weights;
  }

  async put(key: string, weights: MlpWeights): Promise<void> {
    await this.inner?.put(key, weights);
    this.putCount++;
  }
}
