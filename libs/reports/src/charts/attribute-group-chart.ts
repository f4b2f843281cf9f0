// Attribute inference by value of the sensitive column: for each value, how often the attack recovers it from
// the model's answers (filled circle) against the model-free baseline on the same members (open square), each
// with its 95% Clopper-Pearson interval. The gap between the two is the advantage the model gives an attacker
// for people with that value; small groups show wide intervals, so no group is judged on a point estimate.
// Black and white: shapes and fill, not colours.
import type { TopLevelSpec } from 'vega-lite';
import type { AttributeSubgroup } from '../../../engine/src/types';
import type { Block } from '../document-model';
import { renderVegaLiteSvg } from '../roc-chart';

export const GROUP_CHART_WIDTH = 300;
/** The most values drawn (the table beside the chart lists them all). */
export const MAX_GROUPS_DRAWN = 30;

const ATTACK = 'attack (model answers)';
const BASELINE = 'baseline (no model)';

type Subgroup = Pick<
  AttributeSubgroup,
  'value' | 'nMembers' | 'memberAccuracy' | 'memberAccuracyInterval' | 'baselineAccuracy' | 'baselineAccuracyInterval'
>;

function usable(g: unknown): g is Subgroup {
  const s = g as Partial<Subgroup>;
  const ok = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (
    typeof s?.value === 'string' &&
    ok(s.nMembers) &&
    ok(s.memberAccuracy) &&
    ok(s.baselineAccuracy) &&
    ok(s.memberAccuracyInterval?.lower) &&
    ok(s.memberAccuracyInterval?.upper) &&
    ok(s.baselineAccuracyInterval?.lower) &&
    ok(s.baselineAccuracyInterval?.upper)
  );
}

export function attributeGroupChartSpec(groups: readonly Subgroup[]): TopLevelSpec {
  const label = (g: Subgroup) => `${g.value} (${g.nMembers})`;
  const values = groups.flatMap((g) => [
    {
      group: label(g),
      series: ATTACK,
      accuracy: g.memberAccuracy,
      lower: g.memberAccuracyInterval.lower,
      upper: g.memberAccuracyInterval.upper,
    },
    {
      group: label(g),
      series: BASELINE,
      accuracy: g.baselineAccuracy,
      lower: g.baselineAccuracyInterval.lower,
      upper: g.baselineAccuracyInterval.upper,
    },
  ]);
  const domain = [ATTACK, BASELINE];
  // One legend: shape and fill of the same field, merged by vega-lite.
  const legend = {
    title: null,
    orient: 'bottom' as const,
    direction: 'horizontal' as const,
    symbolStrokeColor: '#000000',
  };
  const y = {
    field: 'group',
    type: 'nominal' as const,
    title: null,
    sort: null,
    axis: { labelLimit: 160, labelFontSize: 10 },
  };
  const yOffset = { field: 'series', type: 'nominal' as const, scale: { domain, paddingInner: 0.3 } };
  const x = {
    type: 'quantitative' as const,
    scale: { domain: [0, 1] },
    axis: { format: '~%', tickCount: 5 },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: GROUP_CHART_WIDTH,
    height: { step: 26 },
    background: 'white',
    config: {
      font: 'Helvetica',
      view: { stroke: '#000000', strokeWidth: 0.5 },
      axis: { labelFontSize: 9, titleFontSize: 10, titleFontWeight: 'normal', gridColor: '#dddddd' },
      legend: { labelFontSize: 9, padding: 4 },
    },
    data: { values },
    layer: [
      {
        mark: { type: 'rule', color: '#000000', strokeWidth: 1.2 },
        encoding: {
          y,
          yOffset,
          x: { field: 'lower', ...x, title: 'share of members whose value is recovered' },
          x2: { field: 'upper' },
          strokeDash: { field: 'series', type: 'nominal', scale: { domain, range: [[], [3, 2]] }, legend },
        },
      },
      {
        mark: { type: 'point', size: 46, strokeWidth: 1.3, stroke: '#000000', opacity: 1 },
        encoding: {
          y,
          yOffset,
          x: { field: 'accuracy', ...x },
          shape: {
            field: 'series',
            type: 'nominal',
            scale: { domain, range: ['circle', 'square'] },
            legend,
          },
          fill: { field: 'series', type: 'nominal', scale: { domain, range: ['#000000', '#ffffff'] }, legend },
          // Black outlines on both shapes, in the plot and in the legend (an open square must stay visible).
          stroke: { field: 'series', type: 'nominal', scale: { domain, range: ['#000000', '#000000'] }, legend },
        },
      },
    ],
  };
}

/** The chart block of an attribute-inference finding, or nothing when it has no usable subgroups. */
export async function attributeGroupChartBlock(
  sensitiveColumn: string,
  subgroups: unknown,
): Promise<Extract<Block, { kind: 'chart' }> | undefined> {
  const groups = (Array.isArray(subgroups) ? subgroups : []).filter(usable);
  if (groups.length === 0) return undefined;
  const drawn =
    groups.length > MAX_GROUPS_DRAWN
      ? [...groups].sort((a, b) => b.nMembers - a.nMembers).slice(0, MAX_GROUPS_DRAWN)
      : groups;
  return {
    kind: 'chart',
    svg: await renderVegaLiteSvg(attributeGroupChartSpec(drawn)),
    width: GROUP_CHART_WIDTH,
    height: 26 * drawn.length + 70,
    caption: `Attribute inference of '${sensitiveColumn}' by its value: the share of members whose value the attack recovers from the model's answers (filled circles, solid lines) against a baseline that never queries the model (open squares, dashed lines), each with its 95% interval; in brackets, the members with that value. The gap between circle and square is the advantage the model gives an attacker for people with that value; where the intervals overlap, the audit cannot tell the two apart.${drawn.length < groups.length ? ` The ${drawn.length} values with the most members are drawn; the table lists all ${groups.length}.` : ''}`,
  };
}
