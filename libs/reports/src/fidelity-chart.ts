// Fidelity versus queries of one extraction finding: how fast an attacker's copy agrees with the model.
// vega-lite -> vega -> SVG, black and white (as roc-chart.ts): the curve solid with its 95% interval as a grey
// band, the 90 / 95 / 99% fidelity levels dotted; queries on a log scale.
import type { TopLevelSpec } from 'vega-lite';
import type { ExtractionMetrics } from '../../engine/src/types';
import { renderVegaLiteSvg } from './roc-chart';

export const FIDELITY_CHART_WIDTH = 330;
export const FIDELITY_CHART_HEIGHT = 220;

export function fidelityChartSpec(metrics: Pick<ExtractionMetrics, 'curve'>): TopLevelSpec {
  const values = metrics.curve.map((p) => ({
    queries: p.queries,
    fidelity: p.fidelity,
    lower: p.fidelityInterval.lower,
    upper: p.fidelityInterval.upper,
  }));
  const levels = [0.9, 0.95, 0.99].map((fidelity) => ({ fidelity, label: `${Math.round(fidelity * 100)}%` }));
  const x = {
    field: 'queries',
    type: 'quantitative' as const,
    title: 'queries sent to the model (log scale)',
    scale: { type: 'log' as const },
  };
  const y = { type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: { format: '~%' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: FIDELITY_CHART_WIDTH,
    height: FIDELITY_CHART_HEIGHT,
    background: 'white',
    config: {
      font: 'Helvetica',
      view: { stroke: '#000000', strokeWidth: 0.5 },
      axis: { labelFontSize: 9, titleFontSize: 10, titleFontWeight: 'normal', gridColor: '#dddddd' },
    },
    layer: [
      {
        data: { values: levels },
        mark: { type: 'rule', strokeDash: [1, 2], color: '#555555' },
        encoding: { y: { field: 'fidelity', ...y } },
      },
      {
        data: { values },
        mark: { type: 'area', color: '#cccccc', opacity: 0.7 },
        encoding: {
          x,
          y: { field: 'lower', ...y, title: 'fidelity (agreement with the model)' },
          y2: { field: 'upper' },
        },
      },
      {
        data: { values },
        mark: { type: 'line', color: '#000000', point: { filled: true, color: '#000000', size: 18 } },
        encoding: { x, y: { field: 'fidelity', ...y } },
      },
    ],
  };
}

export function renderFidelityChartSvg(metrics: Pick<ExtractionMetrics, 'curve'>): Promise<string> {
  return renderVegaLiteSvg(fidelityChartSpec(metrics));
}
