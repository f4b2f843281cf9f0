// How tightly a model fits records it was trained on: mean cross-entropy of the true label and accuracy.
// LiRA (Carlini et al., S&P 2022) and RMIA (Zarifzadeh et al., ICML 2024) compare the target with reference
// models, so the references must fit their training rows the way the target fits its own: references fitted
// much less tightly make every member look like an outlier, fitted much more tightly make members look
// ordinary. The auditor can measure the target's side on the members; reference epochs 'auto' train each
// reference model until it fits its IN rows as tightly (mlp-trainer.ts stopAtFit).

import { argMaxOf, logProbabilityOf, logSoftmaxOf } from '../math/log-probability';
import type { TargetOutputs } from '../types';
import type { TrainingData, TrainingFit } from './mlp';

/** Loss used when the answers hold no scores (labels only): any loss meets it, accuracy alone decides. */
const UNMEASURED_LOSS = Number.MAX_VALUE;

/** The target's fit on the members from its answers: from logits in double precision when it exposes them. */
export function measureFit(outputs: TargetOutputs, labels: Int32Array, numClasses: number): TrainingFit {
  const nRows = labels.length;
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < nRows; r++) {
    const base = r * numClasses;
    const y = labels[r] as number;
    if (argMaxOf(outputs.logits ?? outputs.probabilities, base, numClasses) === y) correct++;
    lossSum -= outputs.logits
      ? logSoftmaxOf(outputs.logits, base, numClasses, y)
      : logProbabilityOf(outputs.probabilities, base, numClasses, y);
  }
  const accuracy = nRows > 0 ? correct / nRows : 0;
  // One-hot answers (a labels-only model) carry no loss to match.
  const oneHot = !outputs.logits && isOneHot(outputs.probabilities);
  return { loss: !oneHot && nRows > 0 ? lossSum / nRows : UNMEASURED_LOSS, accuracy };
}

function isOneHot(probabilities: Float32Array): boolean {
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    if (p !== 0 && p !== 1) return false;
  }
  return true;
}

/** Whether measureFit found a loss (false for labels-only answers). */
export function fitHasLoss(fit: TrainingFit): boolean {
  return fit.loss < UNMEASURED_LOSS;
}

/** The pool rows its IN mask marks (row i when inMask[i] === 1), copied out. */
export function rowsOfMask(
  pool: TrainingData,
  inMask: Uint8Array,
): { features: Float32Array; labels: Int32Array; nRows: number } {
  const rows: number[] = [];
  for (let i = 0; i < pool.nRows; i++) if (inMask[i] === 1) rows.push(i);
  const d = pool.nFeatures;
  const features = new Float32Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, j) => {
    features.set(pool.features.subarray(r * d, (r + 1) * d), j * d);
    labels[j] = pool.labels[r] as number;
  });
  return { features, labels, nRows: rows.length };
}
