import { computeMembershipMetrics } from './membership-metrics';
import { MAX_HISTOGRAM_BINS, MIN_HISTOGRAM_BINS, scoreHistogram } from './score-histogram';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('scoreHistogram', () => {
  it('counts every score once over shared, increasing bins', () => {
    const members = Float64Array.from({ length: 500 }, (_, i) => Math.sin(i) + 1);
    const nonMembers = Float64Array.from({ length: 300 }, (_, i) => Math.cos(i));
    const h = scoreHistogram(members, nonMembers)!;
    expect(h.members).toHaveLength(h.edges.length - 1);
    expect(h.nonMembers).toHaveLength(h.edges.length - 1);
    expect(h.members.length).toBeGreaterThanOrEqual(MIN_HISTOGRAM_BINS);
    expect(h.members.length).toBeLessThanOrEqual(MAX_HISTOGRAM_BINS);
    for (let i = 1; i < h.edges.length; i++) expect(h.edges[i]).toBeGreaterThan(h.edges[i - 1] as number);
    expect(sum(h.members)).toBe(500);
    expect(sum(h.nonMembers)).toBe(300);
  });

  it('keeps extreme and infinite scores from squeezing the rest into one bar: they are clamped into the end bins', () => {
    const members = Float64Array.from({ length: 400 }, (_, i) => i / 400);
    members[0] = 1e12;
    members[1] = Number.POSITIVE_INFINITY;
    const nonMembers = Float64Array.from({ length: 400 }, (_, i) => i / 800);
    nonMembers[0] = Number.NEGATIVE_INFINITY;
    nonMembers[1] = Number.NaN;
    const h = scoreHistogram(members, nonMembers)!;
    expect(h.edges[h.edges.length - 1]).toBeLessThan(2);
    expect(h.edges[0]).toBeGreaterThanOrEqual(0);
    expect(h.clampedAbove).toBeGreaterThanOrEqual(2);
    expect(h.clampedBelow).toBeGreaterThanOrEqual(1);
    expect(sum(h.members)).toBe(400);
    expect(sum(h.nonMembers)).toBe(399); // the NaN is not counted
    // The bulk is spread over many bins, not piled in one.
    expect(Math.max(...h.members)).toBeLessThan(100);
  });

  it('handles saturated scores: almost all tied, or all identical', () => {
    const tied = new Float64Array(1000).fill(1);
    tied[0] = 0.2;
    const h = scoreHistogram(tied, new Float64Array(1000).fill(1))!;
    expect(sum(h.members) + sum(h.nonMembers)).toBe(2000);
    expect(h.edges[0]).toBeLessThanOrEqual(0.2);
    const same = scoreHistogram(new Float64Array(5).fill(3), new Float64Array(5).fill(3))!;
    expect(same.edges[0]).toBeLessThan(3);
    expect(same.edges[same.edges.length - 1]).toBeGreaterThan(3);
    expect(sum(same.members)).toBe(5);
    expect(scoreHistogram(new Float64Array(0), Float64Array.of(Number.NaN))).toBeUndefined();
  });

  it('is part of the membership metrics', () => {
    const m = computeMembershipMetrics(Float64Array.of(3, 4, 5, 6), Float64Array.of(1, 2, 3, 4));
    expect(sum(m.scoreHistogram!.members)).toBe(4);
    expect(sum(m.scoreHistogram!.nonMembers)).toBe(4);
  });
});

describe('scoreHistogram of skewed scores', () => {
  it('uses bins of about equal numbers of records when equal widths would leave many scores outside', () => {
    // -loss: most records near 0, a long tail of large losses (more among non-members).
    const members = Float64Array.from({ length: 300 }, (_, i) => -(1e-6 * (i + 1)) * (i % 10 === 0 ? 1e4 : 1));
    const nonMembers = Float64Array.from({ length: 300 }, (_, i) => -(1e-6 * (i + 1)) * (i % 3 === 0 ? 1e5 : 10));
    const h = scoreHistogram(members, nonMembers)!;
    expect(h.binning).toBe('quantile');
    expect(h.clampedBelow).toBe(0);
    expect(h.clampedAbove).toBe(0);
    const pooled = h.members.map((c, i) => c + (h.nonMembers[i] as number));
    expect(Math.max(...pooled)).toBeLessThanOrEqual(2 * Math.min(...pooled) + 2);
    expect(sum(h.members)).toBe(300);
    expect(sum(h.nonMembers)).toBe(300);
  });

  it('merges tied scores into one bin', () => {
    const members = Float64Array.from({ length: 200 }, (_, i) => (i < 150 ? 0 : -i));
    const nonMembers = Float64Array.from({ length: 200 }, (_, i) => (i < 20 ? 0 : -i * 10));
    const h = scoreHistogram(members, nonMembers)!;
    for (let i = 1; i < h.edges.length; i++) expect(h.edges[i]).toBeGreaterThan(h.edges[i - 1] as number);
    expect(sum(h.members) + sum(h.nonMembers)).toBe(400);
    // The 170 zeros fall in the last bin.
    expect(
      (h.members[h.members.length - 1] as number) + (h.nonMembers[h.nonMembers.length - 1] as number),
    ).toBeGreaterThanOrEqual(170);
  });
});
