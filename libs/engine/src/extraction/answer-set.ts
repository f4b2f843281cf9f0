// The rows an attacker has asked and the answers it got back, grown batch by batch up to the budget.

import type { SurrogateTrainingSet } from './surrogate';

export class AnswerSet implements SurrogateTrainingSet {
  readonly features: Float32Array;
  readonly targets: Float32Array;
  private count = 0;

  constructor(
    capacity: number,
    private readonly nFeatures: number,
    private readonly numClasses: number,
  ) {
    this.features = new Float32Array(capacity * nFeatures);
    this.targets = new Float32Array(capacity * numClasses);
  }

  get nRows(): number {
    return this.count;
  }

  add(features: Float32Array, targets: Float32Array, nRows: number): void {
    this.features.set(features.subarray(0, nRows * this.nFeatures), this.count * this.nFeatures);
    this.targets.set(targets.subarray(0, nRows * this.numClasses), this.count * this.numClasses);
    this.count += nRows;
  }

  /** Row r's features (a view). */
  row(r: number): Float32Array {
    return this.features.subarray(r * this.nFeatures, (r + 1) * this.nFeatures);
  }
}

/** Rows of a row-major matrix gathered by index. */
export function gatherRows(source: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(source.subarray(r * width, (r + 1) * width), i * width));
  return out;
}
