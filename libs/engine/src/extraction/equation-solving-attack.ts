// Equation-solving extraction: Tramèr, Zhang, Juels, Reiter, Ristenpart, "Stealing Machine Learning Models via
// Prediction APIs", USENIX Security 2016, section 4.1. A softmax-linear (multinomial logistic) model answers
// p = softmax(W x + b); every answer gives C linear equations in the unknown weights: the logits z = W x + b
// themselves when the API returns them, else the log-ratios log p_j - log p_0 = (w_j - w_0) x + (b_j - b_0)
// (softmax is invariant to adding one vector to every class, so class 0 is fixed at zero). d + 1 queries in
// general position determine the model exactly; privaudit asks d + 1, then doubles (2, 4, 8 x (d + 1)) up to
// the budget, solving each time by least squares (Householder QR), so the curve shows exact recovery and
// rounded answers (Tramèr: 2-3 decimals weaken the attack) show as a fidelity below 1. Queries are uniform
// random inputs in the data's range: no natural data is needed. Against a non-linear target the result is the
// best softmax-linear fit to its log-ratios, a weaker but real surrogate. Needs confidences: refused on labels.

import { SeededRandom, deriveSeed } from '../random/seeded-random';
import type { MlpWeights } from '../training/mlp';
import {
  type ExtractionAttack,
  type ExtractionAttackContext,
  type ExtractionRun,
  QueryMeter,
  type SurrogateCheckpoint,
  uniformRows,
} from './extraction-attack';
import { leastSquares } from './least-squares';

/** Multiples of d + 1 at which the system is solved (capped by the budget). */
const MULTIPLES = [1, 2, 4, 8];

export class EquationSolvingAttack implements ExtractionAttack {
  readonly id = 'extraction.equation-solving' as const;
  readonly access = 'scores' as const;
  readonly needsQueryPool = false;
  readonly reference =
    'Tramèr, Zhang, Juels, Reiter, Ristenpart. Stealing Machine Learning Models via Prediction APIs. USENIX Security 2016.';

  async run(ctx: ExtractionAttackContext): Promise<ExtractionRun> {
    const { nFeatures: d, numClasses: c } = ctx.target.signature;
    const meter = new QueryMeter(ctx.target, ctx.budget);
    const budget = Math.min(ctx.budget, meter.remaining());
    const m = d + 1;
    const rungs = MULTIPLES.map((k) => k * m).filter((q) => q <= budget);
    if (rungs.length === 0) {
      return {
        checkpoints: [],
        queriesUsed: 0,
        note: `a budget of ${budget} queries is below the d + 1 = ${m} this model needs`,
      };
    }
    const rng = new SeededRandom(deriveSeed(ctx.seed, 0xe9));
    const total = rungs[rungs.length - 1]!;
    const features = uniformRows(ctx.featureRange, total, () => rng.next());
    const rhs = new Float64Array(total * c);
    let usedLogits = true;
    let asked = 0;
    const checkpoints: SurrogateCheckpoint[] = [];
    for (const rung of rungs) {
      const n = rung - asked;
      const out = await meter.ask(features.subarray(asked * d, rung * d), n);
      if (out.logits) {
        for (let i = 0; i < n * c; i++) rhs[asked * c + i] = out.logits[i]!;
      } else {
        usedLogits = false;
        logRatios(out.probabilities, n, c, rhs.subarray(asked * c, rung * c));
      }
      asked = rung;
      checkpoints.push({ queries: rung, surrogate: solve(features, rhs, rung, d, c) });
      ctx.onProgress?.(rung / total, `${rung} queries`);
    }
    return {
      checkpoints,
      queriesUsed: meter.used,
      note: `solved from ${usedLogits ? 'logits' : 'log-probability ratios'} at ${rungs.join(', ')} queries (d + 1 = ${m})`,
    };
  }
}

/**
 * log p_j - log p_0 per row. Answers rounded to zero have no logarithm: they are taken at half the smallest
 * positive probability answered (the attacker's best guess of what rounded away).
 */
function logRatios(p: Float32Array, n: number, c: number, into: Float64Array): void {
  let smallest = Infinity;
  for (const v of p) if (v > 0 && v < smallest) smallest = v;
  const floor = Number.isFinite(smallest) ? smallest / 2 : 1e-12;
  for (let r = 0; r < n; r++) {
    const log0 = Math.log(Math.max(p[r * c]!, floor));
    for (let j = 0; j < c; j++) into[r * c + j] = Math.log(Math.max(p[r * c + j]!, floor)) - log0;
  }
}

/** Least squares [x, 1] Theta = rhs; Theta's first d rows are the kernel, the last the bias. */
function solve(features: Float32Array, rhs: Float64Array, n: number, d: number, c: number): MlpWeights {
  const a = new Float64Array(n * (d + 1));
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) a[r * (d + 1) + j] = features[r * d + j]!;
    a[r * (d + 1) + d] = 1;
  }
  const theta = leastSquares(a, n, d + 1, rhs.subarray(0, n * c), c);
  return {
    architecture: { nFeatures: d, hidden: [], numClasses: c, activation: 'relu' },
    layers: [
      {
        inputs: d,
        outputs: c,
        weights: Float32Array.from(theta.subarray(0, d * c)),
        bias: Float32Array.from(theta.subarray(d * c)),
      },
    ],
  };
}
