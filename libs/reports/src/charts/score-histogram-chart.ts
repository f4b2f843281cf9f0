// Member versus non-member score histogram of one membership attack: how far apart the two groups' scores lie.
// Counts over the shared bins the engine wrote (metrics.scoreHistogram; never per-record scores), drawn as the
// share of each group per bin so groups of different sizes compare. Black and white: members as grey filled bars,
// non-members as black outlines over them; where the outline and the grey coincide, the attack cannot tell the
// two apart.
import type { TopLevelSpec } from 'vega-lite';
import type { MembershipMetrics, ScoreHistogram } from '../../../engine/src/types';
import type { Block } from '../document-model';
import { renderVegaLiteSvg } from '../roc-chart';

export const HISTOGRAM_CHART_WIDTH = 330;
export const HISTOGRAM_CHART_HEIGHT = 170;

const MEMBERS = 'members';
const NON_MEMBERS = 'non-members';

/** A histogram the report JSON may carry, checked loosely: reports come from other writers too. */
export function usableHistogram(h: unknown): ScoreHistogram | undefined {
  const c = h as Partial<ScoreHistogram> | undefined;
  if (!c || !Array.isArray(c.edges) || !Array.isArray(c.members) || !Array.isArray(c.nonMembers)) return undefined;
  const n = c.edges.length - 1;
  if (n < 1 || c.members.length !== n || c.nonMembers.length !== n) return undefined;
  if (![...c.edges, ...c.members, ...c.nonMembers].every((v) => typeof v === 'number' && Number.isFinite(v)))
    return undefined;
  return c as ScoreHistogram;
}

export function scoreHistogramSpec(h: ScoreHistogram): TopLevelSpec {
  const total = (xs: readonly number[]) =>
    Math.max(
      1,
      xs.reduce((a, b) => a + b, 0),
    );
  const nm = total(h.members);
  const nn = total(h.nonMembers);
  // Equal-count bins are drawn where they sit in the ranking of all records' scores (each as wide as its share
  // of all records): on the score axis most of them would be slivers.
  const ranked = h.binning === 'quantile';
  const pooled = h.members.map((c, i) => c + (h.nonMembers[i] as number));
  const all = Math.max(
    1,
    pooled.reduce((a, b) => a + b, 0),
  );
  const at: number[] = [0];
  for (const c of pooled) at.push((at[at.length - 1] as number) + c / all);
  const start = (i: number) => (ranked ? at[i] : h.edges[i]) as number;
  const end = (i: number) => (ranked ? at[i + 1] : h.edges[i + 1]) as number;
  const values = [
    ...h.members.map((c, i) => ({ start: start(i), end: end(i), share: c / nm, group: MEMBERS })),
    ...h.nonMembers.map((c, i) => ({ start: start(i), end: end(i), share: c / nn, group: NON_MEMBERS })),
  ];
  const domain = [MEMBERS, NON_MEMBERS];
  const first = ranked ? 0 : (h.edges[0] as number);
  const last = ranked ? 1 : (h.edges[h.edges.length - 1] as number);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: HISTOGRAM_CHART_WIDTH,
    height: HISTOGRAM_CHART_HEIGHT,
    background: 'white',
    config: {
      font: 'Helvetica',
      view: { stroke: '#000000', strokeWidth: 0.5 },
      axis: { labelFontSize: 9, titleFontSize: 10, titleFontWeight: 'normal', gridColor: '#dddddd' },
      legend: { labelFontSize: 9, labelLimit: 150, fillColor: 'white', padding: 4 },
      // Scores can be negative: an ASCII minus, which the PDF's standard fonts carry (d3's default U+2212 is not).
      locale: { number: { decimal: '.', thousands: ',', grouping: [3], currency: ['', ''], minus: '-' } },
    },
    data: { values },
    mark: { type: 'rect', strokeWidth: 1.1 },
    encoding: {
      x: {
        field: 'start',
        type: 'quantitative',
        title: ranked ? 'score percentile among all records' : 'attack score (higher: more likely a member)',
        scale: { domain: [first, last], zero: false, nice: false },
        axis: ranked ? { format: '~%', tickCount: 5 } : { format: '~g', tickCount: 6 },
      },
      x2: { field: 'end' },
      y: {
        field: 'share',
        type: 'quantitative',
        title: 'share of the group',
        axis: { format: '~%', tickCount: 5 },
      },
      y2: { datum: 0 },
      fill: {
        field: 'group',
        type: 'nominal',
        scale: { domain, range: ['#b0b0b0', '#ffffff'] },
        legend: { title: null, orient: 'top', direction: 'horizontal', symbolType: 'square', symbolStrokeWidth: 1.1 },
      },
      fillOpacity: { field: 'group', type: 'nominal', scale: { domain, range: [1, 0] }, legend: null },
      stroke: {
        field: 'group',
        type: 'nominal',
        scale: { domain, range: ['#b0b0b0', '#000000'] },
        legend: { title: null, orient: 'top', direction: 'horizontal', symbolType: 'square', symbolStrokeWidth: 1.1 },
      },
      // Members first, non-member outlines drawn over them.
      order: { field: 'group', sort: 'ascending' },
    },
  };
}

export function renderScoreHistogramSvg(h: ScoreHistogram): Promise<string> {
  return renderVegaLiteSvg(scoreHistogramSpec(h));
}

/** The chart block of a membership finding, or nothing when its report has no (usable) histogram. */
export async function scoreHistogramBlock(
  attack: string,
  metrics: Pick<MembershipMetrics, 'scoreHistogram' | 'nMembers' | 'nNonMembers'>,
): Promise<Extract<Block, { kind: 'chart' }> | undefined> {
  const h = usableHistogram(metrics.scoreHistogram);
  if (!h) return undefined;
  const clamped = (h.clampedBelow ?? 0) + (h.clampedAbove ?? 0);
  const ranked =
    h.binning === 'quantile'
      ? ` The scores are too skewed for bins of equal width (they run from ${fmt(h.edges[0] as number)} to ${fmt(h.edges[h.edges.length - 1] as number)}), so each bin holds about the same number of all records and is drawn at its place in their ranking (right: the scores judged most likely to be a member's): an attack that cannot tell the groups apart gives both the same flat profile.`
      : '';
  return {
    kind: 'chart',
    svg: await renderScoreHistogramSvg(h),
    width: HISTOGRAM_CHART_WIDTH,
    height: HISTOGRAM_CHART_HEIGHT,
    caption: `Scores of ${attack} for the ${metrics.nMembers} members (grey bars) and ${metrics.nNonMembers} non-members (black outlines), as the share of each group per score range; the bins are shared and no single record's score is shown. The further the grey bars lie to the right of the outlines, the better the attack separates training records from the others; where they coincide, it cannot.${ranked}${clamped > 0 ? ` The ${clamped} most extreme score${clamped === 1 ? ' is' : 's are'} counted in the first or last bar (the range shown spans the bulk of all scores: at most the 0.5th to 99.5th percentile).` : ''}`,
  };
}

function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
