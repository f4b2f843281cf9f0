// What every model-extraction attack shares: its context (the target as the attacker sees it, a query budget, a
// pool of natural queries), what it returns (surrogates at checkpoints of queries spent) and the query meter that
// counts every row sent to the target and never lets an attack exceed its budget.

import { EngineError, EngineErrorCode } from '../errors';
import type { MlpArchitecture, MlpTrainerKind, MlpWeights } from '../training/mlp';
import type { ExtractionAttackId, TargetAccess, TargetModel, TargetOutputs } from '../types';

/**
 * The pool of natural queries an attack needs, or a clear refusal: `use` says what the attack does with it
 * ("queries the target with natural data").
 */
export function requireQueryPool(
  ctx: ExtractionAttackContext,
  attack: ExtractionAttackId,
  use: string,
): NonNullable<ExtractionAttackContext['queryPool']> {
  if (!ctx.queryPool) {
    throw new EngineError(EngineErrorCode.AttackNeedsPopulation, `${attack} ${use}: provide a population CSV`);
  }
  return ctx.queryPool;
}

/** Per-feature range of the data (min and max over every audited and population row). */
export interface FeatureRange {
  readonly min: Float64Array;
  readonly max: Float64Array;
}

export interface ExtractionAttackContext {
  /** The target as the attacker sees it (through an output policy when one applies). */
  readonly target: TargetModel;
  /** Natural queries (the population file): features only are used; never the audited records. */
  readonly queryPool?: { readonly features: Float32Array; readonly nRows: number };
  readonly featureRange: FeatureRange;
  /** Rows the attack may send to the target, at most. */
  readonly budget: number;
  /** Query counts at which to train a surrogate for the fidelity-versus-queries curve (ascending, <= budget). */
  readonly ladder: readonly number[];
  /** The surrogate architecture (mirrored from the target, or chosen). */
  readonly architecture: MlpArchitecture;
  readonly seed: number;
  readonly trainer?: MlpTrainerKind;
  /** Gradient steps per surrogate training (default SURROGATE_TRAINING_STEPS). */
  readonly surrogateSteps?: number;
  readonly onProgress?: (fraction: number, message?: string) => void;
}

/** The surrogate an attack held after spending `queries` queries. */
export interface SurrogateCheckpoint {
  readonly queries: number;
  readonly surrogate: MlpWeights;
}

export interface ExtractionRun {
  /** Ascending by queries; the last one is the attack's final surrogate. */
  readonly checkpoints: readonly SurrogateCheckpoint[];
  readonly queriesUsed: number;
  /** Why the attack stopped short of its budget, or how it adapted, in plain language. */
  readonly note?: string;
}

/** One attack, one class, one file (as the membership attacks). */
export interface ExtractionAttack {
  readonly id: ExtractionAttackId;
  /** 'scores': needs confidences (refused on labels-only answers); 'labels': works on labels alone. */
  readonly access: TargetAccess;
  /** True when the attack queries natural data and needs a population file. */
  readonly needsQueryPool: boolean;
  /** Paper citation shown in reports. */
  readonly reference: string;
  run(ctx: ExtractionAttackContext): Promise<ExtractionRun>;
}

/**
 * Counts the rows an attack sends to the target (one query = one row) and refuses any batch that would exceed
 * the attack's budget, or what remains of a metered target's own budget (targets that implement usage()).
 */
export class QueryMeter {
  private spent = 0;

  constructor(
    private readonly target: TargetModel,
    readonly budget: number,
  ) {}

  get used(): number {
    return this.spent;
  }

  /** Rows the attack may still send. */
  remaining(): number {
    let left = this.budget - this.spent;
    const usage = this.target.usage?.();
    if (usage?.queryBudget !== undefined) left = Math.min(left, usage.queryBudget - usage.queriesUsed);
    return Math.max(0, left);
  }

  async ask(features: Float32Array, nRows: number): Promise<TargetOutputs> {
    if (nRows > this.remaining()) {
      throw new EngineError(
        EngineErrorCode.BudgetExceeded,
        `an extraction attack asked for ${nRows} queries with ${this.remaining()} of its budget left`,
      );
    }
    if (nRows === 0) return { probabilities: new Float32Array(0) };
    this.spent += nRows;
    return this.target.predict(features, nRows);
  }
}

/**
 * The training target an answer gives: its probabilities renormalised (top-k and rounding leave rows that do
 * not sum to 1), or one-hot on the named class when the answer holds nothing else (labels-only answers).
 */
export function answersToTargets(probabilities: Float32Array, nRows: number, numClasses: number): Float32Array {
  const out = new Float32Array(nRows * numClasses);
  for (let r = 0; r < nRows; r++) {
    let sum = 0;
    let best = 0;
    for (let j = 0; j < numClasses; j++) {
      const p = Math.max(0, probabilities[r * numClasses + j] as number);
      sum += p;
      if (p > (probabilities[r * numClasses + best] as number)) best = j;
    }
    if (sum > 0)
      for (let j = 0; j < numClasses; j++)
        out[r * numClasses + j] = Math.max(0, probabilities[r * numClasses + j] as number) / sum;
    else out[r * numClasses + best] = 1;
  }
  return out;
}

/** Argmax label per row (ties to the lower class, as an API names them). */
export function labelsOf(values: Float32Array, nRows: number, numClasses: number): Int32Array {
  const out = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let best = 0;
    for (let j = 1; j < numClasses; j++)
      if ((values[r * numClasses + j] as number) > (values[r * numClasses + best] as number)) best = j;
    out[r] = best;
  }
  return out;
}

/** Geometric ladder of query counts (100, 250, 500, 1000, 2000, 5000, 10000, 20000, ...) up to and including the budget. */
export function queryLadder(budget: number): number[] {
  const ladder: number[] = [];
  const next = (n: number) => (n < 1000 ? (n === 100 ? 250 : n * 2) : String(n)[0] === '2' ? n * 2.5 : n * 2);
  for (let n = 100; n < budget; n = next(n)) ladder.push(n);
  ladder.push(budget);
  return ladder;
}

/** Uniform random rows in the feature range (seeded): the synthetic queries and the uniform fidelity set. */
export function uniformRows(range: FeatureRange, nRows: number, next: () => number): Float32Array {
  const d = range.min.length;
  const out = new Float32Array(nRows * d);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < d; j++) {
      const lo = range.min[j] as number;
      out[r * d + j] = lo + next() * ((range.max[j] as number) - lo);
    }
  }
  return out;
}

export function featureRangeOf(
  datasets: ReadonlyArray<{ features: Float32Array; nRows: number; nFeatures: number }>,
): FeatureRange {
  const d = datasets[0]?.nFeatures ?? 0;
  const min = new Float64Array(d).fill(Infinity);
  const max = new Float64Array(d).fill(-Infinity);
  for (const ds of datasets) {
    for (let r = 0; r < ds.nRows; r++) {
      for (let j = 0; j < d; j++) {
        const v = ds.features[r * d + j] as number;
        if (v < (min[j] as number)) min[j] = v;
        if (v > (max[j] as number)) max[j] = v;
      }
    }
  }
  return { min, max };
}
