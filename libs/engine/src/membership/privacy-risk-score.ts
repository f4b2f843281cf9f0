// Per-record privacy risk score — Song & Mittal, "Systematic Evaluation of Privacy Risks of Machine
// Learning Models", USENIX Security 2021, §5. The risk of record x with label y is the posterior
// probability that it is a member given the target's modified prediction entropy Mentr on it:
//   r(x) = P_in(s | y) / (P_in(s | y) + P_out(s | y))   (prior 0.5),
// with the class-conditional distributions of s estimated on shadow data: rows IN a shadow (reference)
// model's training set and rows OUT of it, scored by that model. Histograms with equal-frequency bins
// and add-one smoothing stand in for the paper's histograms.

import type { MembershipAttackContext, TargetOutputs } from '../types';
import { auditedRecords, auditedTargetOutputs, obtainReferenceModels } from './audited-records';

const LOG_FLOOR = 1e-30;
/** Below this many IN or OUT shadow examples a class borrows the all-class distributions. */
const MIN_EXAMPLES_PER_SIDE = 20;

/**
 * Modified prediction entropy (Song & Mittal, eq. 5): −(1−p_y)·log p_y − Σ_{j≠y} p_j·log(1−p_j).
 * Lower means more confident in the true label, so more likely a member.
 */
export function modifiedEntropy(outputs: TargetOutputs, labels: Int32Array, nRows: number): Float64Array {
  const numClasses = nRows > 0 ? outputs.probabilities.length / nRows : 0;
  const out = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const y = labels[r]!;
    let s = 0;
    for (let j = 0; j < numClasses; j++) {
      const p = outputs.probabilities[r * numClasses + j]!;
      s += j === y ? -(1 - p) * Math.log(Math.max(p, LOG_FLOOR)) : -p * Math.log(Math.max(1 - p, LOG_FLOOR));
    }
    out[r] = s;
  }
  return out;
}

/** Shadow-model scores of rows known to be IN and OUT of the shadow's training set, with their labels. */
export interface RiskScoreCalibration {
  readonly inScores: Float64Array;
  readonly inLabels: Int32Array;
  readonly outScores: Float64Array;
  readonly outLabels: Int32Array;
}

export interface PrivacyRiskScoreOptions {
  /** Histogram bins per class; default from the sample size (√n / 2, between 5 and 30). */
  readonly bins?: number;
}

/** Posterior membership probability for each target score, from class-conditional IN/OUT histograms. */
export function privacyRiskScores(
  calibration: RiskScoreCalibration,
  targetScores: Float64Array,
  targetLabels: Int32Array,
  numClasses: number,
  options: PrivacyRiskScoreOptions = {},
): Float64Array {
  const pooled = scoreHistogram(calibration.inScores, calibration.outScores, options.bins);
  const risk = new Float64Array(targetScores.length);
  for (let c = 0; c < numClasses; c++) {
    const inC = calibration.inScores.filter((_, i) => calibration.inLabels[i] === c);
    const outC = calibration.outScores.filter((_, i) => calibration.outLabels[i] === c);
    const hist =
      inC.length >= MIN_EXAMPLES_PER_SIDE && outC.length >= MIN_EXAMPLES_PER_SIDE
        ? scoreHistogram(inC, outC, options.bins)
        : pooled;
    for (let i = 0; i < targetScores.length; i++) if (targetLabels[i] === c) risk[i] = hist.posterior(targetScores[i]!);
  }
  return risk;
}

interface ScoreHistogram {
  posterior(score: number): number;
}

function scoreHistogram(inScores: Float64Array, outScores: Float64Array, bins?: number): ScoreHistogram {
  const all = Float64Array.from([...inScores, ...outScores]).sort();
  const nBins = bins ?? Math.min(30, Math.max(5, Math.round(Math.sqrt(all.length) / 2)));
  // Equal-frequency inner edges; duplicates collapse, so heavy ties (saturated members) share a bin.
  const edges: number[] = [];
  for (let b = 1; b < nBins; b++) {
    const e = all[Math.floor((b * all.length) / nBins)];
    if (e !== undefined && (edges.length === 0 || e > edges[edges.length - 1]!)) edges.push(e);
  }
  const binOf = (s: number): number => {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s >= edges[mid]!) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const k = edges.length + 1;
  const inCounts = new Float64Array(k).fill(1);
  const outCounts = new Float64Array(k).fill(1);
  for (const s of inScores) inCounts[binOf(s)]! += 1;
  for (const s of outScores) outCounts[binOf(s)]! += 1;
  const inTotal = inScores.length + k;
  const outTotal = outScores.length + k;
  return {
    posterior(score: number): number {
      const b = binOf(score);
      const pIn = inCounts[b]! / inTotal;
      const pOut = outCounts[b]! / outTotal;
      return pIn / (pIn + pOut);
    },
  };
}

/**
 * Privacy risk scores of the audited members and non-members, calibrated on the offline reference
 * models: each model's population rows IN its training set versus OUT of it.
 */
export async function computePrivacyRiskScores(
  ctx: MembershipAttackContext,
  options: PrivacyRiskScoreOptions = {},
): Promise<{ members: Float64Array; nonMembers: Float64Array }> {
  const set = await obtainReferenceModels(ctx, 'membership.shadow', 'offline');
  const population = ctx.population;
  const numClasses = ctx.target.signature.numClasses;
  const inScores: number[] = [];
  const inLabels: number[] = [];
  const outScores: number[] = [];
  const outLabels: number[] = [];
  if (population && population.nRows === set.nPopulation) {
    for (let m = 0; m < set.k; m++) {
      const entropy = modifiedEntropy(
        await set.predict(m, population.features, population.nRows),
        population.labels,
        population.nRows,
      );
      for (let i = 0; i < population.nRows; i++) {
        const isIn = set.inMask[m * set.nRecords + i] === 1;
        (isIn ? inScores : outScores).push(entropy[i]!);
        (isIn ? inLabels : outLabels).push(population.labels[i]!);
      }
    }
  }
  const audited = auditedRecords(ctx.members, ctx.nonMembers);
  const target = modifiedEntropy(auditedTargetOutputs(ctx), audited.labels, audited.nRows);
  const calibration: RiskScoreCalibration = {
    inScores: Float64Array.from(inScores),
    inLabels: Int32Array.from(inLabels),
    outScores: Float64Array.from(outScores),
    outLabels: Int32Array.from(outLabels),
  };
  const risk = privacyRiskScores(calibration, target, audited.labels, numClasses, options);
  return { members: risk.slice(0, audited.nMembers), nonMembers: risk.slice(audited.nMembers) };
}
