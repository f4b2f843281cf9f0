// Leakage by class and by declared group, as a finding carries it: compact (no ROC points per slice), and
// one plain-language sentence naming the group that leaks most. "Most" is ranked by the 95% lower bound of
// TPR at 1% FPR, which a small slice cannot win by luck, then by AUC.

import type { SlicedMembershipMetrics, SliceMetrics } from '../metrics/slices';
import type { FindingSlices, SliceLeakage } from '../types';

export function compactSlices(sliced: SlicedMembershipMetrics): FindingSlices {
  return {
    byClass: sliced.byClass.map(compactSlice),
    ...(sliced.byGroup ? { byGroup: sliced.byGroup.map(compactSlice) } : {}),
  };
}

function compactSlice(s: SliceMetrics): SliceLeakage {
  return {
    value: s.value,
    nMembers: s.nMembers,
    nNonMembers: s.nNonMembers,
    ...(s.metrics
      ? {
          metrics: {
            auc: s.metrics.auc,
            tpr: { ...s.metrics.tpr },
            tprInterval: {
              '0.001': { ...s.metrics.tprInterval['0.001'] },
              '0.01': { ...s.metrics.tprInterval['0.01'] },
            },
            advantage: s.metrics.advantage,
          },
        }
      : {}),
    ...(s.note !== undefined ? { note: s.note } : {}),
  };
}

/** The measured slice that leaks most, or undefined when no slice was large enough to measure. */
export function mostLeakingSlice(slices: readonly SliceLeakage[]): SliceLeakage | undefined {
  let best: SliceLeakage | undefined;
  for (const s of slices) {
    if (!s.metrics) continue;
    if (!best?.metrics) {
      best = s;
      continue;
    }
    const lower = s.metrics.tprInterval['0.01'].lower;
    const bestLower = best.metrics.tprInterval['0.01'].lower;
    if (lower > bestLower || (lower === bestLower && s.metrics.auc > best.metrics.auc)) best = s;
  }
  return best;
}

/** One sentence for the finding's summary; groupColumn is the column's name, values are group labels. */
export function groupLeakageSentence(byGroup: readonly SliceLeakage[], groupColumn: string): string {
  const worst = mostLeakingSlice(byGroup);
  if (!worst?.metrics) {
    return `No group of '${groupColumn}' had enough records to be measured on its own.`;
  }
  const measured = byGroup.filter((s) => s.metrics).length;
  const m = worst.metrics;
  const others = measured > 1 ? ` of the ${measured} measured groups` : '';
  return (
    `By '${groupColumn}', group '${worst.value}' leaks most${others}: the attack picked out ${percent(m.tpr['0.01'])} ` +
    `of its ${worst.nMembers} training records at 1 in 100 false alarms (at least ${percent(m.tprInterval['0.01'].lower)} ` +
    `with 95% confidence), ROC AUC ${m.auc.toFixed(3)}.`
  );
}

function percent(p: number): string {
  return `${(100 * p).toFixed(2)}%`;
}
