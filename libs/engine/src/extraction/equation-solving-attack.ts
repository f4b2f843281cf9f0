// Equation-solving extraction: Tramèr, Zhang, Juels, Reiter, Ristenpart, "Stealing Machine Learning Models via
// Prediction APIs", USENIX Security 2016, section 4.1. A softmax-linear (multinomial logistic) model answers
// p = softmax(W x + b); every answer gives C linear equations in the unknown weights: the logits z = W x + b
// themselves when the API returns them, else the log-ratios log p_j - log p_ref = (w_j - w_ref) x + (b_j - b_ref)
// against each row's most probable class (softmax is invariant to adding one vector to every class, so class 0
// is fixed at zero; classes rounded to zero give no equation, see solveLogRatios). d + 1 queries in
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
import { leastSquares, solveNormalEquations } from './least-squares';

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
    // A feature constant in the data (an image's always-blank corner pixel) is constant in every query too: its
    // weight cannot be told from the bias, so it is solved as zero and the bias absorbs it (exact on the data).
    const varying = Array.from({ length: d }, (_, j) => j).filter(
      (j) => ctx.featureRange.max[j]! > ctx.featureRange.min[j]!,
    );
    const features = uniformRows(ctx.featureRange, total, () => rng.next());
    const logits = new Float64Array(total * c);
    const probabilities = new Float32Array(total * c);
    let usedLogits = true;
    let asked = 0;
    const checkpoints: SurrogateCheckpoint[] = [];
    for (const rung of rungs) {
      const n = rung - asked;
      const out = await meter.ask(features.subarray(asked * d, rung * d), n);
      if (out.logits) logits.set(out.logits.subarray(0, n * c), asked * c);
      else usedLogits = false;
      probabilities.set(out.probabilities.subarray(0, n * c), asked * c);
      asked = rung;
      const surrogate = usedLogits
        ? solveLogits(features, logits, rung, d, c, varying)
        : solveLogRatios(features, probabilities, rung, d, c);
      checkpoints.push({ queries: rung, surrogate });
      ctx.onProgress?.(rung / total, `${rung} queries`);
    }
    return {
      checkpoints,
      queriesUsed: meter.used,
      note: `solved from ${usedLogits ? 'logits' : 'log-probability ratios'} at ${rungs.join(', ')} queries (d + 1 = ${m})`,
    };
  }
}

/** Rows [x, 1] of the design matrix. */
function design(features: Float32Array, n: number, d: number): Float64Array {
  const a = new Float64Array(n * (d + 1));
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) a[r * (d + 1) + j] = features[r * d + j]!;
    a[r * (d + 1) + d] = 1;
  }
  return a;
}

function linearModel(theta: Float64Array, d: number, c: number): MlpWeights {
  // theta: (d + 1) x c, the first d rows the kernel, the last the bias
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

/**
 * Logits answered: [x, 1] Theta = z over the varying features, one least-squares solve for every class at once;
 * constant features get weight zero (their contribution is in the bias).
 */
function solveLogits(
  features: Float32Array,
  logits: Float64Array,
  n: number,
  d: number,
  c: number,
  varying: readonly number[],
): MlpWeights {
  const v = varying.length;
  const reduced = new Float32Array(n * v);
  for (let r = 0; r < n; r++) for (let k = 0; k < v; k++) reduced[r * v + k] = features[r * d + varying[k]!]!;
  const solved = leastSquares(design(reduced, n, v), n, v + 1, logits.subarray(0, n * c), c);
  const theta = new Float64Array((d + 1) * c);
  varying.forEach((j, k) => theta.set(solved.subarray(k * c, (k + 1) * c), j * c));
  theta.set(solved.subarray(v * c, (v + 1) * c), d * c);
  return linearModel(theta, d, c);
}

/** Below this a float32 probability loses relative precision (subnormal range): never an equation. */
const FLOAT32_FLOOR = 1e-30;

/**
 * The decimal unit the answers were rounded to (10^-k for the smallest k at which every answer is a whole number
 * of units), or FLOAT32_FLOOR / MIN_UNITS when they were not rounded.
 */
export function roundingUnit(p: Float32Array): number {
  for (let k = 1; k <= 7; k++) {
    const scale = 10 ** k;
    if (p.every((v) => Math.abs(v * scale - Math.round(v * scale)) < 1e-3)) return 1 / scale;
  }
  return FLOAT32_FLOOR / MIN_UNITS;
}

/** Answers this many rounding units or more (relative error at most 5%) give an equation. */
const MIN_UNITS = 10;
/** Ridge on the normal equations: keeps classes no answer constrains at zero instead of a singular system. */
const RIDGE = 1e-9;

/**
 * Probabilities answered: for each row, against its most probable class ref, every class j answered with at
 * least MIN_UNITS rounding units gives (w_j - w_ref) x + (b_j - b_ref) = log p_j - log p_ref, with class 0 fixed
 * at zero; one joint least-squares solve (normal equations, Cholesky) over the (c - 1)(d + 1) unknowns. The rounding unit is read off the
 * answers (roundingUnit). Classes rounded to (near) zero give no equation instead of a wrong one.
 */
function solveLogRatios(features: Float32Array, p: Float32Array, n: number, d: number, c: number): MlpWeights {
  const threshold = MIN_UNITS * roundingUnit(p.subarray(0, n * c));
  const m = (c - 1) * (d + 1);
  const equations: Array<{ row: number; j: number; ref: number; value: number }> = [];
  for (let r = 0; r < n; r++) {
    let ref = 0;
    for (let j = 1; j < c; j++) if (p[r * c + j]! > p[r * c + ref]!) ref = j;
    for (let j = 0; j < c; j++) {
      if (j === ref || !(p[r * c + j]! >= threshold)) continue;
      equations.push({ row: r, j, ref, value: Math.log(p[r * c + j]!) - Math.log(p[r * c + ref]!) });
    }
  }
  // Each equation touches 2 (d + 1) unknowns: the normal equations accumulate cheaply, then one Cholesky solve.
  const ata = new Float64Array(m * m);
  const atb = new Float64Array(m);
  const idx = new Int32Array(2 * (d + 1));
  const val = new Float64Array(2 * (d + 1));
  for (const e of equations) {
    let nnz = 0;
    for (let k = 0; k <= d; k++) {
      const x = k < d ? features[e.row * d + k]! : 1;
      if (e.j > 0) [idx[nnz], val[nnz++]] = [(e.j - 1) * (d + 1) + k, x];
      if (e.ref > 0) [idx[nnz], val[nnz++]] = [(e.ref - 1) * (d + 1) + k, -x];
    }
    for (let u = 0; u < nnz; u++) {
      atb[idx[u]!] = atb[idx[u]!]! + val[u]! * e.value;
      for (let v = 0; v < nnz; v++) ata[idx[u]! * m + idx[v]!] = ata[idx[u]! * m + idx[v]!]! + val[u]! * val[v]!;
    }
  }
  for (let u = 0; u < m; u++) ata[u * m + u] = ata[u * m + u]! + RIDGE;
  const solution = solveNormalEquations(ata, atb, m);
  const theta = new Float64Array((d + 1) * c);
  for (let j = 1; j < c; j++) for (let k = 0; k <= d; k++) theta[k * c + j] = solution[(j - 1) * (d + 1) + k]!;
  return linearModel(theta, d, c);
}
