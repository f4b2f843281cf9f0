// Gaussian densities and tails in log space, for the likelihood-ratio attacks (LiRA online and offline).
// Working in log space keeps the scores of well-fit members finite: their logit-scaled confidence can sit
// tens of standard deviations from the OUT mean, where densities and tails underflow double precision.

const LOG_TWO_PI = Math.log(2 * Math.PI);

/** log N(x; mean, variance). */
export function gaussianLogPdf(x: number, mean: number, variance: number): number {
  const d = x - mean;
  return -0.5 * (LOG_TWO_PI + Math.log(variance) + (d * d) / variance);
}

/**
 * log erfc(x) for x >= 0, from the Chebyshev fit of Numerical Recipes (erfcc, fractional error < 1.2e-7),
 * whose form t·exp(poly) gives the logarithm directly, without underflow for large x.
 */
function logErfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) + poly;
}

/** log P(Z > z) for a standard normal Z, finite for any finite z. */
export function standardNormalLogSurvival(z: number): number {
  const x = z / Math.SQRT2;
  if (x >= 0) return Math.log(0.5) + logErfcNonNegative(x);
  // erfc(x) = 2 - erfc(-x) for negative x; erfc(-x) <= 1 there, so no cancellation worth worrying about.
  return Math.log(0.5) + Math.log(2 - Math.exp(logErfcNonNegative(-x)));
}

/** log P(Z <= z) for a standard normal Z. */
export function standardNormalLogCdf(z: number): number {
  return standardNormalLogSurvival(-z);
}

/** Mean and population (divide-by-n) variance. */
export function meanAndVariance(values: ArrayLike<number>): { mean: number; variance: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, variance: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    ss += d * d;
  }
  return { mean, variance: ss / n };
}
