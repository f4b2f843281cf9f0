// Report findings with the charts' inputs, for the report tests (and for looking at the rendered pages).
import { scoreHistogram } from '../../../engine/src/metrics/score-histogram';
import { isMembershipFinding } from '../../../engine/src/report/findings';
import type { AuditReport, Finding, ScoreHistogram } from '../../../engine/src/types';

/** A deterministic pseudo-random stream (the tests need no seeded library for this). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

/** Members' scores shifted right of the non-members', with a few saturated scores in the tail. */
export function separatedHistogram(members = 300, nonMembers = 300): ScoreHistogram {
  const r = stream(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const m = Float64Array.from({ length: members }, (_, i) => (i < 4 ? 1e6 : 1.2 + normal()));
  const n = Float64Array.from({ length: nonMembers }, () => normal());
  return scoreHistogram(m, n)!;
}

export function attributeInferenceFinding(): Finding {
  const interval = (p: number, n: number) => {
    const half = 1.96 * Math.sqrt((p * (1 - p)) / n) + 1 / n;
    return { lower: Math.max(0, p - half), upper: Math.min(1, p + half) };
  };
  const group = (value: string, n: number, member: number, baseline: number) => ({
    value,
    nMembers: n,
    nNonMembers: n,
    memberAccuracy: member,
    memberAccuracyInterval: interval(member, n),
    nonMemberAccuracy: baseline + 0.02,
    nonMemberAccuracyInterval: interval(baseline + 0.02, n),
    baselineAccuracy: baseline,
    baselineAccuracyInterval: interval(baseline, n),
    advantage: member - baseline,
  });
  const bySensitiveValue = [
    group('female', 140, 0.81, 0.55),
    group('male', 150, 0.62, 0.58),
    group('non-binary', 10, 0.7, 0.5),
  ];
  return {
    kind: 'inversion',
    attack: 'inversion.attribute',
    severity: 'medium',
    reference: 'Fredrikson et al., CCS 2015; Mehnaz et al., USENIX Security 2022',
    summary: "The model's answers reveal the value of 'sex' for more members than a model-free baseline does.",
    exposure: { score: 45, rationale: 'Member accuracy exceeds the baseline by 0.14 (lower bound 0.06).' },
    metrics: {
      type: 'attribute-inference',
      sensitiveColumn: 'sex',
      variant: 'confidence',
      candidates: 3,
      memberAccuracy: 0.71,
      memberAccuracyInterval: interval(0.71, 300),
      nonMemberAccuracy: 0.6,
      nonMemberAccuracyInterval: interval(0.6, 300),
      baselineAccuracy: 0.57,
      baselineAccuracyInterval: interval(0.57, 300),
      nonMemberBaselineAccuracy: 0.58,
      nonMemberBaselineAccuracyInterval: interval(0.58, 300),
      baselineKind: 'prior',
      priorAccuracy: 0.57,
      priorAccuracyInterval: interval(0.57, 300),
      imputationAccuracy: 0.55,
      imputationAccuracyInterval: interval(0.55, 300),
      advantage: 0.14,
      advantageCi: [0.06, 0.22],
      nonMemberAdvantage: 0.02,
      nonMemberAdvantageCi: [-0.05, 0.09],
      memberGap: 0.11,
      memberGapCi: [0.03, 0.19],
      leakageLowerBound: 0.03,
      leakageConfidence: 0.95,
      nMembers: 300,
      nNonMembers: 300,
      recordsWithoutValue: 0,
      queriesUsed: 1800,
      bySensitiveValue,
    },
    mostExposed: [],
  } as unknown as Finding;
}

/** The report with a score histogram on its first membership finding and an attribute-inference finding. */
export function withChartInputs(report: AuditReport): AuditReport {
  const findings = report.findings.map((f, i) =>
    i === 0 && isMembershipFinding(f)
      ? ({ ...f, metrics: { ...f.metrics, scoreHistogram: separatedHistogram() } } as Finding)
      : f,
  );
  return { ...report, findings: [...findings, attributeInferenceFinding()] };
}
