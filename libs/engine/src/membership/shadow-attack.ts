// Shadow-model attack — Shokri, Stronati, Song, Shmatikov, "Membership Inference Attacks Against Machine
// Learning Models", IEEE S&P 2017. Shadow models are trained like the target on population data; each
// shadow's outputs on its own training rows (IN) and on the rows it never saw (OUT) form a labelled set on
// which one attack classifier per class learns member vs non-member. The shadows are the offline reference
// models: pool rows are population only, half of them IN each model. The attack classifier is a logistic
// regression (the paper allows any binary classifier) on the log of the prediction vector, which spreads
// out the near-0 and near-1 probabilities that separate members; its log-odds is the membership score.

import { EngineError, EngineErrorCode } from '../errors';
import type { MembershipAttack, MembershipAttackContext, MembershipScores, TargetOutputs } from '../types';
import { auditedRecords, auditedTargetOutputs, obtainReferenceModels, splitScores } from './audited-records';

/** Per class, both IN and OUT examples must reach this count, else the class uses the all-class classifier. */
const MIN_EXAMPLES_PER_SIDE = 10;
const LOG_FLOOR = 1e-30;

/** A fitted binary logistic regression on standardised features. */
export interface LogisticModel {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** weights[0] is the intercept. */
  readonly weights: Float64Array;
}

/**
 * Binary logistic regression by Newton's method with an L2 penalty (not on the intercept).
 * features row-major nRows × d; target 1 = member.
 */
export function fitLogisticRegression(
  features: Float64Array,
  target: Uint8Array,
  d: number,
  l2 = 1e-2,
  iterations = 30,
): LogisticModel {
  const n = target.length;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let f = 0; f < d; f++) mean[f] += features[r * d + f]!;
  for (let f = 0; f < d; f++) mean[f] /= Math.max(n, 1);
  for (let r = 0; r < n; r++) for (let f = 0; f < d; f++) scale[f] += (features[r * d + f]! - mean[f]!) ** 2;
  for (let f = 0; f < d; f++) scale[f] = Math.sqrt(scale[f]! / Math.max(n, 1)) || 1;

  const p = d + 1;
  const w = new Float64Array(p);
  const x = new Float64Array(p);
  for (let it = 0; it < iterations; it++) {
    const grad = new Float64Array(p);
    const hess = new Float64Array(p * p);
    for (let r = 0; r < n; r++) {
      x[0] = 1;
      for (let f = 0; f < d; f++) x[f + 1] = (features[r * d + f]! - mean[f]!) / scale[f]!;
      let z = 0;
      for (let j = 0; j < p; j++) z += w[j]! * x[j]!;
      const prob = 1 / (1 + Math.exp(-z));
      const g = prob - target[r]!;
      const h = Math.max(prob * (1 - prob), 1e-12);
      for (let a = 0; a < p; a++) {
        grad[a] += g * x[a]!;
        for (let b = a; b < p; b++) hess[a * p + b] += h * x[a]! * x[b]!;
      }
    }
    for (let a = 1; a < p; a++) {
      grad[a] += l2 * n * w[a]!;
      hess[a * p + a] += l2 * n;
    }
    hess[0] += 1e-9 * n;
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) hess[a * p + b] = hess[b * p + a]!;
    const step = solveSymmetric(hess, grad, p);
    let change = 0;
    for (let j = 0; j < p; j++) {
      w[j] -= step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < 1e-8) break;
  }
  return { mean, scale, weights: w };
}

/** Log-odds of membership for each row. */
export function logisticLogOdds(model: LogisticModel, features: Float64Array, nRows: number): Float64Array {
  const d = model.mean.length;
  const out = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let z = model.weights[0]!;
    for (let f = 0; f < d; f++)
      z += model.weights[f + 1]! * ((features[r * d + f]! - model.mean[f]!) / model.scale[f]!);
    out[r] = z;
  }
  return out;
}

/** Cholesky solve of A x = b for a symmetric positive-definite A (p × p, row-major). */
function solveSymmetric(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      l[i * p + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * p + j]!;
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

/** Attack-classifier features of each row: the log of its prediction vector. */
export function attackFeatures(outputs: TargetOutputs): Float64Array {
  const out = new Float64Array(outputs.probabilities.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(Math.max(outputs.probabilities[i]!, LOG_FLOOR));
  return out;
}

export class ShadowAttack implements MembershipAttack {
  readonly id = 'membership.shadow' as const;
  readonly access = 'scores' as const;
  readonly referenceModels = 'offline' as const;
  readonly reference =
    'Shokri, Stronati, Song, Shmatikov, "Membership Inference Attacks Against Machine Learning Models", IEEE S&P 2017';

  async run(ctx: MembershipAttackContext): Promise<MembershipScores> {
    const set = await obtainReferenceModels(ctx, this.id, 'offline');
    const population = ctx.population;
    const nPop = set.nPopulation;
    const numClasses = ctx.target.signature.numClasses;
    if (!population || population.nRows !== nPop) {
      throw new EngineError(
        EngineErrorCode.AttackNeedsPopulation,
        `${this.id} trains shadow models on population data; provide a population file`,
      );
    }

    // Labelled attack-training set: every shadow model's outputs on every population row.
    const rows = set.k * nPop;
    const trainFeatures = new Float64Array(rows * numClasses);
    const trainMember = new Uint8Array(rows);
    const trainLabels = new Int32Array(rows);
    for (let m = 0; m < set.k; m++) {
      const outputs = await set.predict(m, population.features, nPop);
      trainFeatures.set(attackFeatures(outputs), m * nPop * numClasses);
      for (let i = 0; i < nPop; i++) {
        trainMember[m * nPop + i] = set.inMask[m * set.nRecords + i]!;
        trainLabels[m * nPop + i] = population.labels[i]!;
      }
      ctx.onProgress?.((0.7 * (m + 1)) / set.k, `shadow model ${m + 1}/${set.k}`);
    }

    const allClasses = fitLogisticRegression(trainFeatures, trainMember, numClasses);
    const audited = auditedRecords(ctx.members, ctx.nonMembers);
    const targetFeatures = attackFeatures(auditedTargetOutputs(ctx));
    const scores = new Float64Array(audited.nRows);
    for (let c = 0; c < numClasses; c++) {
      const trainIdx: number[] = [];
      let nIn = 0;
      for (let r = 0; r < rows; r++) {
        if (trainLabels[r] !== c) continue;
        trainIdx.push(r);
        nIn += trainMember[r]!;
      }
      const perClass =
        nIn >= MIN_EXAMPLES_PER_SIDE && trainIdx.length - nIn >= MIN_EXAMPLES_PER_SIDE
          ? fitLogisticRegression(
              gatherRows(trainFeatures, trainIdx, numClasses),
              Uint8Array.from(trainIdx, (r) => trainMember[r]!),
              numClasses,
            )
          : allClasses;
      const targetIdx: number[] = [];
      for (let i = 0; i < audited.nRows; i++) if (audited.labels[i] === c) targetIdx.push(i);
      const logOdds = logisticLogOdds(perClass, gatherRows(targetFeatures, targetIdx, numClasses), targetIdx.length);
      targetIdx.forEach((i, j) => (scores[i] = logOdds[j]!));
      ctx.onProgress?.(0.7 + (0.3 * (c + 1)) / numClasses, `attack classifier ${c + 1}/${numClasses}`);
    }
    return splitScores(this.id, scores, audited.nMembers);
  }
}

function gatherRows(source: Float64Array, rows: readonly number[], d: number): Float64Array {
  const out = new Float64Array(rows.length * d);
  rows.forEach((r, j) => out.set(source.subarray(r * d, (r + 1) * d), j * d));
  return out;
}
