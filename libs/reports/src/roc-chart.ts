// The log-log ROC curve of one membership attack (Carlini et al., S&P 2022, argue for this view: what matters
// is the true-positive rate at very low false-positive rates). Written as a vega-lite spec, compiled to vega
// and rendered to SVG on the server with no canvas. Black and white: one attack's curve is solid (several
// attacks: one dash pattern each), random guessing thin and dashed, the 0.1% and 1% FPR levels dotted, so
// nothing depends on colour.
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';
import type { MembershipMetrics } from '../../engine/src/types';

export const ROC_CHART_WIDTH = 330;
export const ROC_CHART_HEIGHT = 250;

/** The smallest rate shown: a decade below what the sample can resolve (1/n) and below 0.1%. */
function axisFloor(n: number): number {
  const finest = Math.min(1 / Math.max(1, n), 1e-3);
  return 10 ** (Math.floor(Math.log10(finest)) - 1);
}

function decades(from: number): number[] {
  const ticks: number[] = [];
  for (let v = from; v <= 1.0000001; v *= 10) ticks.push(Number(v.toPrecision(1)));
  return ticks;
}

type RocInput = Pick<MembershipMetrics, 'rocPoints' | 'nMembers' | 'nNonMembers'>;

/** Dash patterns told apart in black and white; the first (solid) is the single-attack chart's curve. */
const ATTACK_DASHES: ReadonlyArray<readonly number[]> = [
  [],
  [7, 3],
  [2, 2],
  [9, 3, 2, 3],
  [14, 4],
  [1, 4],
  [5, 2, 1, 2, 1, 2],
];
const GUESSING = 'random guessing';

/** One attack's ROC (solid) against guessing, or several attacks' (one dash pattern each) on shared axes. */
export function rocChartSpec(
  curves: ReadonlyArray<{ readonly name: string; readonly metrics: RocInput }>,
): TopLevelSpec {
  const xMin = Math.min(...curves.map((c) => axisFloor(c.metrics.nNonMembers)));
  const yMin = Math.min(...curves.map((c) => axisFloor(c.metrics.nMembers)));
  // Rates of 0 have no place on a log axis: drawn at the axis floor (the caption says so).
  const points = curves.flatMap((c) =>
    c.metrics.rocPoints.map(([fpr, tpr]) => ({ fpr: Math.max(fpr, xMin), tpr: Math.max(tpr, yMin), series: c.name })),
  );
  const guess = [
    { fpr: Math.max(xMin, yMin), tpr: Math.max(xMin, yMin), series: GUESSING },
    { fpr: 1, tpr: 1, series: GUESSING },
  ];
  const levels = [
    { fpr: 0.001, label: '0.1% FPR' },
    { fpr: 0.01, label: '1% FPR' },
  ];
  const axisFormat = '~%';
  const names = curves.map((c) => c.name);
  const domain = [...names, GUESSING];
  const dashes = [...names.map((_, i) => [...(ATTACK_DASHES[i % ATTACK_DASHES.length] as number[])]), [4, 4]];
  const widths = [...names.map(() => (names.length === 1 ? 1.6 : 1.2)), 0.7];
  // Two layers (an attack's ROC is a step function, guessing a straight line) sharing one dash scale and one
  // legend.
  const line = (values: Array<{ fpr: number; tpr: number; series: string }>, interpolate: 'linear' | 'step-after') => ({
    data: { values },
    mark: { type: 'line' as const, color: '#000000', clip: true, interpolate },
    encoding: {
      x: {
        field: 'fpr',
        type: 'quantitative' as const,
        title: 'false-positive rate (log scale)',
        scale: { type: 'log' as const, domain: [xMin, 1] },
        axis: { values: decades(xMin), format: axisFormat },
      },
      y: {
        field: 'tpr',
        type: 'quantitative' as const,
        title: 'true-positive rate (log scale)',
        scale: { type: 'log' as const, domain: [yMin, 1] },
        axis: { values: decades(yMin), format: axisFormat },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal' as const,
        scale: { domain, range: dashes },
        legend: {
          title: null,
          // One attack: inside, where a ROC curve never goes. Several: below the plot, in columns.
          orient: names.length === 1 ? ('bottom-right' as const) : ('bottom' as const),
          columns: names.length === 1 ? 1 : 2,
          symbolStrokeColor: '#000000',
          symbolType: 'stroke',
          symbolSize: 300,
          labelLimit: 200,
        },
      },
      strokeWidth: { field: 'series', type: 'nominal' as const, scale: { domain, range: widths }, legend: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: ROC_CHART_WIDTH,
    height: ROC_CHART_HEIGHT,
    background: 'white',
    config: {
      font: 'Helvetica',
      view: { stroke: '#000000', strokeWidth: 0.5 },
      axis: { labelFontSize: 9, titleFontSize: 10, titleFontWeight: 'normal', gridColor: '#dddddd' },
      legend: { labelFontSize: 9, titleFontSize: 9, fillColor: 'white', padding: 4 },
    },
    layer: [
      {
        data: { values: levels },
        mark: { type: 'rule', strokeDash: [1, 2], color: '#555555' },
        encoding: { x: { field: 'fpr', type: 'quantitative', scale: { type: 'log', domain: [xMin, 1] } } },
      },
      {
        data: { values: levels },
        mark: { type: 'text', align: 'left', dx: 3, dy: -4, fontSize: 8, color: '#333333' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative' },
          y: { datum: 1 },
          text: { field: 'label', type: 'nominal' },
        },
      },
      line(guess, 'linear'),
      line(points, 'step-after'),
    ],
  };
}

/** The chart as a standalone SVG document (deterministic: the same metrics give the same bytes). */
export async function renderRocChartSvg(
  curves: ReadonlyArray<{ readonly name: string; readonly metrics: RocInput }>,
): Promise<string> {
  return renderVegaLiteSvg(rocChartSpec(curves));
}

export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile(spec, { logger: silentLogger }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none', logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// vega-lite warns on stderr (e.g. about a log scale's zero); a report renderer prints nothing.
const silentLogger = {
  level(): number {
    return 0;
  },
  error(): typeof silentLogger {
    return silentLogger;
  },
  warn(): typeof silentLogger {
    return silentLogger;
  },
  info(): typeof silentLogger {
    return silentLogger;
  },
  debug(): typeof silentLogger {
    return silentLogger;
  },
} as never;
