import {
  logitScaledConfidence,
  logitScaledConfidenceFromLogits,
  logitScaledConfidenceFromProbabilities,
  trueLabelProbability,
} from './logit-scaling';

function softmax32(logits: number[]): Float32Array {
  const max = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - max));
  const s = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e.map((v) => v / s));
}

describe('logit scaling', () => {
  it('agrees between logits and probabilities where float32 does not saturate', () => {
    const rows = [
      [0.3, -1.2, 2.0],
      [1.5, 0.2, -0.7],
      [-2, 3, 0.5],
    ];
    const labels = Int32Array.from([2, 0, 1]);
    const logits = Float32Array.from(rows.flat());
    const probabilities = Float32Array.from(rows.flatMap((r) => [...softmax32(r)]));
    const fromLogits = logitScaledConfidenceFromLogits(logits, labels, 3, 3);
    const fromProbs = logitScaledConfidenceFromProbabilities(probabilities, labels, 3, 3);
    for (let i = 0; i < 3; i++) expect(fromProbs[i]).toBeCloseTo(fromLogits[i]!, 5);
    // Exact value for row 0: z_y - logsumexp(others)
    expect(fromLogits[0]).toBeCloseTo(2.0 - Math.log(Math.exp(0.3) + Math.exp(-1.2)), 6);
  });

  it('stays finite and ordered from logits where float32 softmax rounds p_y to exactly 1', () => {
    const rows = [
      [40, 0, 0],
      [60, 0, 0],
    ];
    const labels = Int32Array.from([0, 0]);
    const probabilities = Float32Array.from(rows.flatMap((r) => [...softmax32(r)]));
    expect(probabilities[0]).toBe(1);
    expect(probabilities[3]).toBe(1);
    const phi = logitScaledConfidence({ probabilities, logits: Float32Array.from(rows.flat()) }, labels, 2);
    expect(phi[0]).toBeCloseTo(40 - Math.log(2), 6);
    expect(phi[1]).toBeCloseTo(60 - Math.log(2), 6);
    // From probabilities alone the clamp keeps φ finite, but the two rows are no longer told apart.
    const clamped = logitScaledConfidence({ probabilities }, labels, 2);
    expect(Number.isFinite(clamped[0]!)).toBe(true);
  });

  it('true-label probability from logits is computed in double precision', () => {
    const p = trueLabelProbability(
      { probabilities: Float32Array.from([1, 0]), logits: Float32Array.from([0, -50]) },
      Int32Array.from([1]),
      1,
    );
    expect(p[0]).toBeCloseTo(Math.exp(-50), 30);
    expect(p[0]).toBeGreaterThan(0);
  });
});
