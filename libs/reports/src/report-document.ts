// The audit report as a document a privacy officer files with a DPIA: cover, executive summary in plain
// language, one section per finding with its evidence, intervals and ROC chart, slices, most exposed records
// (ids only), data notes, recommendations, the regulatory mapping and a reproducibility appendix.
// Everything is read from the report JSON alone, in a fixed order (never an object's key order, which a
// database may change), so the same report always gives the same document.
import { ATTACK_DESCRIPTIONS } from '../../engine/src/report/build-report';
import { isMembershipFinding, membershipFindings, nonMembershipFindings } from '../../engine/src/report/findings';
import type {
  AttackId,
  AuditReport,
  Finding,
  FprLevel,
  MembershipFinding,
  RiskRating,
  SliceLeakage,
} from '../../engine/src/types';
import type { Block, ReportDocument, TableColumn } from './document-model';
import { ACTION_BY_RATING, atLeast, recommendationsFor } from './recommendations';
import { INVERSION_REGULATORY_MAPPING, MEMBERSHIP_REGULATORY_MAPPING } from './regulatory-mapping';
import { renderRocChartSvg, ROC_CHART_HEIGHT, ROC_CHART_WIDTH } from './roc-chart';
import { FIDELITY_CHART_HEIGHT, FIDELITY_CHART_WIDTH, renderFidelityChartSvg } from './fidelity-chart';
import { reconstructionGridBlocks } from './reconstruction-grid';
import { rerunCommand } from './rerun-command';
import { scoreHistogramBlock } from './charts/score-histogram-chart';
import { attributeGroupChartBlock } from './charts/attribute-group-chart';

const FPR_LEVELS: readonly FprLevel[] = ['0.001', '0.01'];
const FPR_WORDS: Readonly<Record<FprLevel, string>> = { '0.001': '1 in 1,000', '0.01': '1 in 100' };

/** What the rating means for the people whose records trained the model. */
const MEANING_BY_RATING: Readonly<Record<RiskRating, string>> = {
  low: 'The attacks in this audit could not reliably tell the people whose records trained the model apart from people whose records did not. For the people in the training data, the measured risk that someone with the access described below learns that their record was used is low.',
  medium:
    'Some attacks could tell, better than chance, whether a person\'s record was used to train the model, but not confidently enough to single out many individuals. For the people in the training data this is a limited risk: an attacker could suspect, but rarely be sure, that a given record was used. Where being in the data is itself sensitive (for example, "was a patient of this clinic"), even a well-founded suspicion can harm.',
  high: 'An attacker with the access described below can single out a measurable share of the people whose records trained the model while rarely accusing anyone else. For those people, the fact that their record was used can be revealed; where the dataset is sensitive (a patient list, a list of debtors), that disclosure is itself the harm.',
  critical:
    'The model gives away which records it was trained on: an attacker can identify a large share of the training records with very few false accusations. For the people in the training data, treat this as a likely disclosure of personal data.',
};

export async function buildReportDocument(report: AuditReport): Promise<ReportDocument> {
  const createdAt = new Date(report.createdAt);
  const blocks: Block[] = [...executiveSummary(report), ...(await findingsOverview(report))];
  for (const [i, finding] of report.findings.entries()) {
    blocks.push(
      ...(isMembershipFinding(finding)
        ? await findingSection(finding, i + 1, report)
        : await familyFindingSection(finding, i + 1, report)),
    );
  }
  blocks.push(...dataNotes(report), ...regulatorySection(report), ...reproducibilityAppendix(report));
  return {
    title: `Privacy audit report: model ${report.target.sha256.slice(0, 12)}`,
    runningTitle: `privaudit privacy audit - model sha256 ${report.target.sha256.slice(0, 16)}... - ${formatDate(createdAt)}`,
    createdAt,
    cover: {
      title: 'Privacy audit report',
      subtitle: 'Membership inference: can an attacker tell whose records trained this model?',
      rating: report.risk.rating,
      score: report.risk.score,
      statement: `Risk rating ${report.risk.rating.toUpperCase()} (score ${report.risk.score} of 100). Prepared for a data protection impact assessment (GDPR Art. 35).`,
      facts: [
        ['Model (sha256)', report.target.sha256],
        [
          'Model format',
          `${report.target.format.toUpperCase()}, ${report.target.nFeatures} inputs, ${report.target.numClasses} classes, returns ${report.target.outputKind}`,
        ],
        ...endpointFacts(report),
        ['Audit date', formatDate(createdAt)],
        ['Attacks', report.config.attacks.join(', ')],
        [
          'Records audited',
          `${report.data.members.rows} training records (members), ${report.data.nonMembers.rows} records never trained on (non-members)`,
        ],
        ['Tool', `${report.tool.name} ${report.tool.version}`],
      ],
    },
    blocks,
  };
}

function executiveSummary(report: AuditReport): Block[] {
  const rating = report.risk.rating;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: 'Executive summary', pageBreak: true },
    {
      kind: 'paragraph',
      emphasis: 'lead',
      text: `Risk rating: ${rating.toUpperCase()} (score ${report.risk.score} of 100, on a scale where 0-29 is low, 30-59 medium, 60-84 high and 85-100 critical).`,
    },
    { kind: 'heading', level: 3, text: 'What was tested' },
    {
      kind: 'paragraph',
      text: `A membership-inference audit asks whether someone who can query the model can tell if a given person's record was used to train it. privaudit ran ${report.findings.length} attack${report.findings.length === 1 ? '' : 's'} against the model, using ${report.data.members.rows} records it was trained on and ${report.data.nonMembers.rows} comparable records it never saw, and measured how often each attack correctly flags a training record while wrongly flagging at most 1 in 1,000 or 1 in 100 of the others.`,
    },
    { kind: 'heading', level: 3, text: 'What it means for the people in the data' },
    { kind: 'paragraph', text: MEANING_BY_RATING[rating] },
  ];
  const others = nonMembershipFindings(report.findings);
  if (others.length > 0) {
    blocks.splice(4, 0, {
      kind: 'paragraph',
      text: `Beyond membership, ${others.length} further attack${others.length === 1 ? '' : 's'} tested whether the model can be copied through its prediction service (model extraction) or made to reveal what its training records look like or a person's sensitive attribute (model inversion): ${others.map((f) => f.attack).join(', ')}.`,
    });
  }
  const strongest = strongestAtOnePercent(membershipFindings(report.findings));
  if (strongest) {
    const m = strongest.metrics;
    const ci = m.tprInterval['0.01'];
    blocks.push({
      kind: 'paragraph',
      text: `The attack that singles out the most training records is ${strongest.attack}. ${attackDescription(strongest.attack)} flagged ${pct(m.tpr['0.01'])} of the training records (95% confidence interval ${pct(ci.lower)} to ${pct(ci.upper)}) while wrongly flagging at most 1 in 100 of the others; random guessing would flag 1%.`,
    });
  }
  blocks.push(
    { kind: 'heading', level: 3, text: 'Why this rating' },
    { kind: 'paragraph', text: plain(report.risk.rationale) },
    { kind: 'heading', level: 3, text: 'What to do' },
    { kind: 'paragraph', text: ACTION_BY_RATING[rating] },
  );
  const actions = new Set<string>();
  for (const f of report.findings)
    if (atLeast(f.severity, 'low')) for (const r of recommendationsFor(f, report)) actions.add(r.title);
  if (actions.size > 0) blocks.push({ kind: 'bullets', items: [...actions] });
  const limits = [
    'The audit measures this model on these records. A rating of low is not a guarantee: stronger attacks or more data can find more.',
    'The epsilon figures are heuristic indicators, not a differential-privacy audit (see each finding).',
  ];
  const missing = report.config.attacksNeedingPopulation;
  if (missing && missing.length > 0) {
    limits.push(
      `No population data were supplied, so the stronger attacks (${missing.join(', ')}) did not run; the audit may under-report.`,
    );
  }
  blocks.push({ kind: 'heading', level: 3, text: 'Limits' }, { kind: 'bullets', items: limits });
  return blocks;
}

async function findingsOverview(report: AuditReport): Promise<Block[]> {
  const membership = membershipFindings(report.findings);
  const others = nonMembershipFindings(report.findings);
  const comparison: Block[] =
    membership.length > 1
      ? [
          {
            kind: 'chart',
            svg: withStableIds(
              await renderRocChartSvg(membership.map((f) => ({ name: f.attack, metrics: f.metrics }))),
              'roc-all',
            ),
            width: ROC_CHART_WIDTH,
            height: ROC_CHART_HEIGHT,
            caption:
              'All attacks on log-log axes, one line pattern each (legend); thin dashed: random guessing; dotted: the 0.1% and 1% false-positive levels. The higher a curve at the left, the more training records that attack singles out with few false accusations.',
          },
        ]
      : [];
  const otherTable: Block[] =
    others.length > 0
      ? [
          {
            kind: 'paragraph',
            text: 'Model extraction and inversion attacks, each rated by its own rule (docs/risk-model.md):',
          },
          glanceTable(
            others,
            [
              { header: 'Score', weight: 0.8, align: 'right' },
              { header: 'What it found', weight: 5.1 },
            ],
            (f) => [String(Math.floor(f.exposure.score)), plain(f.summary)],
          ),
        ]
      : [];
  if (membership.length === 0) {
    return [{ kind: 'heading', level: 1, text: 'Findings at a glance', pageBreak: true }, ...otherTable];
  }
  return [
    { kind: 'heading', level: 1, text: 'Findings at a glance', pageBreak: true },
    {
      kind: 'paragraph',
      text: 'One row per attack. TPR is the share of training records the attack flags; FPR the share of never-seen records it wrongly flags. Random guessing gives TPR = FPR and AUC = 0.5. Intervals are 95% confidence intervals.',
    },
    glanceTable(
      membership,
      [
        { header: 'ROC AUC [95% CI]', weight: 1.9, align: 'right' },
        { header: 'TPR at 0.1% FPR [95% CI]', weight: 2, align: 'right' },
        { header: 'TPR at 1% FPR [95% CI]', weight: 2, align: 'right' },
      ],
      (f) => [
        `${f.metrics.auc.toFixed(3)} [${f.metrics.aucInterval.lower.toFixed(3)}, ${f.metrics.aucInterval.upper.toFixed(3)}]`,
        withInterval(f.metrics.tpr['0.001'], f.metrics.tprInterval['0.001']),
        withInterval(f.metrics.tpr['0.01'], f.metrics.tprInterval['0.01']),
      ],
    ),
    ...comparison,
    ...otherTable,
  ];
}

/** A findings-at-a-glance table: one row per finding, its attack and severity, then `columns` from `cells`. */
function glanceTable<F extends Finding>(
  findings: readonly F[],
  columns: readonly TableColumn[],
  cells: (finding: F) => string[],
): Block {
  return {
    kind: 'table',
    columns: [{ header: 'Attack', weight: 2.7, mono: true }, { header: 'Severity', weight: 0.9 }, ...columns],
    rows: findings.map((f) => [f.attack, f.severity, ...cells(f)]),
  };
}

/** What opens every finding's section: its heading (on a new page), summary and method. */
function findingOpening(finding: Finding, index: number): Block[] {
  return [
    {
      kind: 'heading',
      level: 1,
      text: `Finding ${index}: ${finding.attack} - severity ${finding.severity}`,
      pageBreak: true,
    },
    { kind: 'paragraph', text: plain(finding.summary) },
    { kind: 'paragraph', emphasis: 'note', text: `Method: ${finding.reference}` },
  ];
}

/** What closes every finding's section: its recommendations. */
function recommendationBlocks(finding: Finding, report: AuditReport): Block[] {
  return [
    { kind: 'heading', level: 2, text: 'Recommendations' },
    ...recommendationsFor(finding, report).flatMap((r): Block[] => [
      { kind: 'heading', level: 3, text: r.title },
      { kind: 'paragraph', text: r.text },
    ]),
  ];
}

/**
 * An extraction or inversion finding: its summary, how it was rated, and its metrics as a table, every
 * proportion beside its 95% interval (a metric `x` with a sibling `xInterval`). The families' own charts
 * join here as they are built.
 */
async function familyFindingSection(
  finding: Exclude<Finding, MembershipFinding>,
  index: number,
  report: AuditReport,
): Promise<Block[]> {
  const rows: string[][] = [];
  const metrics = finding.metrics as unknown as Readonly<Record<string, unknown>>;
  for (const [name, value] of Object.entries(metrics).sort(([a], [b]) => a.localeCompare(b))) {
    if (typeof value !== 'number' || name.endsWith('Interval')) continue;
    // A sibling `xInterval` ({lower, upper}) or `xCi` ([lower, upper]) is the metric's 95% interval.
    const interval = metrics[`${name}Interval`] as { lower?: unknown; upper?: unknown } | undefined;
    const ci = metrics[`${name}Ci`];
    const bounds =
      typeof interval?.lower === 'number' && typeof interval.upper === 'number'
        ? [interval.lower, interval.upper]
        : Array.isArray(ci) && typeof ci[0] === 'number' && typeof ci[1] === 'number'
          ? [ci[0], ci[1]]
          : undefined;
    rows.push([
      name,
      Number.isInteger(value) ? String(value) : value.toFixed(3),
      bounds ? `${(bounds[0] as number).toFixed(3)} to ${(bounds[1] as number).toFixed(3)}` : '-',
    ]);
  }
  const blocks: Block[] = [
    ...findingOpening(finding, index),
    { kind: 'heading', level: 2, text: 'Why this severity' },
    { kind: 'paragraph', text: plain(finding.exposure.rationale) },
  ];
  // Reports are read loosely: an extraction finding from another writer may lack the curve.
  if (finding.kind === 'extraction' && Array.isArray(finding.metrics.curve) && finding.metrics.curve.length > 0) {
    const m = finding.metrics;
    blocks.push({
      kind: 'chart',
      svg: withStableIds(await renderFidelityChartSvg(m), `fidelity${index}`),
      width: FIDELITY_CHART_WIDTH,
      height: FIDELITY_CHART_HEIGHT,
      caption: `Fidelity of the stolen copy (agreement with the model on ${m.nHeldOut} held-out records) against the queries the attacker sent; grey: the 95% interval; dotted: 90, 95 and 99% fidelity.`,
    });
    if (m.note !== undefined) blocks.push({ kind: 'paragraph', emphasis: 'note', text: plain(m.note) });
    if (m.whatIf) {
      blocks.push(
        { kind: 'heading', level: 2, text: 'What if the API answered less' },
        { kind: 'paragraph', text: plain(m.whatIf.summary) },
        {
          kind: 'table',
          columns: [
            { header: 'Answers', weight: 1.4 },
            { header: 'Fidelity', weight: 1, align: 'right' },
            { header: 'Queries to 90%', weight: 1.2, align: 'right' },
            { header: 'Callers keep class', weight: 1.3, align: 'right' },
            { header: 'Probability change', weight: 1.3, align: 'right' },
          ],
          rows: m.whatIf.outcomes.map((o) => [
            o.policy,
            o.fidelity === null ? 'stopped' : o.fidelity.toFixed(3),
            o.queriesTo['0.9'] === null ? 'not reached' : String(o.queriesTo['0.9']),
            o.usefulness.labelAgreement.toFixed(3),
            o.usefulness.meanProbabilityChange.toFixed(3),
          ]),
        },
      );
    }
  }
  if (rows.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: 'Evidence' },
      {
        kind: 'table',
        columns: [
          { header: 'Measure', weight: 3 },
          { header: 'Estimate', weight: 1.2, align: 'right' },
          { header: '95% interval', weight: 2, align: 'right' },
        ],
        rows,
      },
    );
  }
  if (finding.kind === 'inversion' && finding.metrics.type === 'attribute-inference') {
    const chart = await chartBlocks(
      attributeGroupChartBlock(finding.metrics.sensitiveColumn, finding.metrics.bySensitiveValue),
      `groups${index}`,
    );
    if (chart.length > 0) blocks.push({ kind: 'heading', level: 2, text: 'Advantage by group' }, ...chart);
  }
  blocks.push(...inversionDetailBlocks(finding, report));
  blocks.push(...recommendationBlocks(finding, report));
  return blocks;
}

/** Attribute inference per sensitive value and its most exposed members; MI-Face per reconstructed class. */
function inversionDetailBlocks(finding: Exclude<Finding, MembershipFinding>, report: AuditReport): Block[] {
  if (finding.kind !== 'inversion') return [];
  const blocks: Block[] = [];
  const f3 = (x: number) => x.toFixed(3);
  const m = finding.metrics;
  if (m.type === 'attribute-inference' && Array.isArray(m.bySensitiveValue) && m.bySensitiveValue.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: `By value of '${m.sensitiveColumn}'` },
      {
        kind: 'table',
        columns: [
          { header: 'Value', weight: 2 },
          { header: 'Members', weight: 1, align: 'right' },
          { header: 'Member accuracy (95% interval)', weight: 3, align: 'right' },
          { header: 'Baseline', weight: 1.2, align: 'right' },
          { header: 'Advantage', weight: 1.2, align: 'right' },
          { header: 'Non-member accuracy', weight: 1.5, align: 'right' },
        ],
        rows: m.bySensitiveValue.map((g) => [
          g.value,
          String(g.nMembers),
          `${f3(g.memberAccuracy)} (${f3(g.memberAccuracyInterval.lower)} to ${f3(g.memberAccuracyInterval.upper)})`,
          f3(g.baselineAccuracy),
          f3(g.advantage),
          f3(g.nonMemberAccuracy),
        ]),
      },
    );
  }
  if (m.type === 'model-inversion' && Array.isArray(m.reconstructions) && m.reconstructions.length > 0) {
    if (typeof m.gradientsNote === 'string') {
      blocks.push({ kind: 'paragraph', emphasis: 'note', text: `Gradients: ${plain(m.gradientsNote)}.` });
    }
    blocks.push(
      ...reconstructionGridBlocks(m),
      { kind: 'heading', level: 2, text: 'Reconstructions by class' },
      {
        kind: 'table',
        columns: [
          { header: 'Class', weight: 2 },
          { header: 'Target confidence', weight: 1.5, align: 'right' },
          { header: 'Recognised', weight: 1.3, align: 'right' },
          { header: 'Nearest members', weight: 1.5, align: 'right' },
          { header: 'Nearest non-members', weight: 1.5, align: 'right' },
          { header: 'Files', weight: 2.7 },
        ],
        rows: m.reconstructions.map((r) => [
          r.restart !== undefined && (m.restarts ?? 1) > 1 ? `${r.className} (start ${r.restart})` : r.className,
          f3(r.confidence),
          r.recognised ? 'yes' : 'no',
          f3(r.memberDistance),
          f3(r.nonMemberDistance),
          r.files?.join(', ') ?? '-',
        ]),
      },
    );
  }
  if (finding.mostExposed && finding.mostExposed.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: 'Members whose value is recovered most confidently (row ids only)' },
      ...(report.data.pseudonymizedIds ? [{ kind: 'paragraph' as const, text: pseudonymNote(report).trim() }] : []),
      {
        kind: 'table',
        columns: [
          { header: 'Rank', weight: 1, align: 'right' },
          { header: 'Row id', weight: 3 },
          { header: 'Attack confidence', weight: 2, align: 'right' },
        ],
        rows: finding.mostExposed.map((e) => [String(e.rank), e.rowId, f3(e.score)]),
      },
    );
  }
  return blocks;
}

async function findingSection(finding: MembershipFinding, index: number, report: AuditReport): Promise<Block[]> {
  const m = finding.metrics;
  const blocks: Block[] = [
    ...findingOpening(finding, index),
    {
      kind: 'chart',
      svg: withStableIds(await renderRocChartSvg([{ name: finding.attack, metrics: m }]), `roc${index}`),
      width: ROC_CHART_WIDTH,
      height: ROC_CHART_HEIGHT,
      caption: `ROC curve of ${finding.attack} on log-log axes (${m.nMembers} members, ${m.nNonMembers} non-members). Solid: the attack; dashed: random guessing; dotted: the 0.1% and 1% false-positive levels. A curve far above the dashed line at the left edge means training records are singled out with few false accusations. Rates of zero are drawn at the axes' lower edges.`,
    },
    ...(await chartBlocks(scoreHistogramBlock(finding.attack, m), `hist${index}`)),
    { kind: 'heading', level: 2, text: 'Evidence' },
    {
      kind: 'table',
      columns: [
        { header: 'Measure', weight: 2.4 },
        { header: 'Estimate', weight: 1, align: 'right' },
        { header: '95% interval', weight: 1.6, align: 'right' },
        { header: 'How it was measured', weight: 3.6 },
      ],
      rows: [
        [
          'ROC AUC',
          m.auc.toFixed(3),
          `${m.aucInterval.lower.toFixed(3)} to ${m.aucInterval.upper.toFixed(3)}`,
          'Chance that a training record scores above a never-seen one; 0.5 is guessing. Normal approximation (Hanley-McNeil).',
        ],
        ...FPR_LEVELS.map((level) => [
          `TPR at ${Number(level) * 100}% FPR`,
          pct(m.tpr[level]),
          `${pct(m.tprInterval[level].lower)} to ${pct(m.tprInterval[level].upper)}`,
          `${m.operatingCounts[level].tp} of ${m.nMembers} members flagged at a threshold that flags ${m.operatingCounts[level].fp} of ${m.nNonMembers} non-members (at most ${FPR_WORDS[level]}). Clopper-Pearson.`,
        ]),
        ...FPR_LEVELS.map((level) => [
          `FPR at that threshold (${Number(level) * 100}% level)`,
          pct(m.operatingCounts[level].fp / Math.max(1, m.nNonMembers)),
          `${pct(m.fprInterval[level].lower)} to ${pct(m.fprInterval[level].upper)}`,
          'What the sample can resolve: with few non-members the upper end lies far above the nominal level. Clopper-Pearson.',
        ]),
        [
          'Balanced accuracy',
          m.balancedAccuracy.toFixed(3),
          `${m.balancedAccuracyInterval.lower.toFixed(3)} to ${m.balancedAccuracyInterval.upper.toFixed(3)}`,
          'Best (TPR + TNR) / 2 over thresholds; 0.5 is guessing.',
        ],
        [
          'Membership advantage',
          m.advantage.toFixed(3),
          '-',
          'Best TPR - FPR over thresholds (Yeom et al. 2018); 0 is guessing.',
        ],
        [
          'Empirical epsilon lower bound',
          m.epsilonLowerBound.toFixed(2),
          `delta ${m.epsilonDelta}`,
          'A 95% lower bound over a fixed grid of thresholds (Clopper-Pearson, Bonferroni). Heuristic indicator: see the note below.',
        ],
      ],
    },
    { kind: 'paragraph', emphasis: 'note', text: `About epsilon: ${plain(m.epsilonNote)}` },
  ];
  const slices = finding.slices;
  if (slices) {
    blocks.push({ kind: 'heading', level: 2, text: 'Leakage by class' }, sliceTable(slices.byClass, 'Class'));
    if (slices.byGroup) {
      const column = report.data.groupColumn ?? 'group';
      blocks.push(
        { kind: 'heading', level: 2, text: `Leakage by group (${column})` },
        sliceTable(slices.byGroup, column),
      );
    }
  }
  blocks.push({ kind: 'heading', level: 2, text: 'Most exposed records' });
  if (finding.mostExposed.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'None listed (the audit was run with --top-exposed 0).' });
  } else {
    const withRisk = finding.mostExposed.some((r) => r.privacyRisk !== undefined);
    blocks.push(
      {
        kind: 'paragraph',
        text: `The training records this attack is most confident about, by row id${report.data.idColumn !== undefined ? ` (column ${report.data.idColumn})` : ' (data row number)'} only; no record values appear in this report.${pseudonymNote(report)}${withRisk ? ' Privacy risk: the Song & Mittal (2021) posterior probability that the record is a member.' : ''}`,
      },
      {
        kind: 'table',
        columns: [
          { header: 'Rank', weight: 0.7, align: 'right' },
          { header: 'Row id', weight: 3, mono: true },
          { header: 'Attack score', weight: 1.6, align: 'right' },
          ...(withRisk ? [{ header: 'Privacy risk', weight: 1.3, align: 'right' } as TableColumn] : []),
        ],
        rows: finding.mostExposed.map((r) => [
          String(r.rank),
          r.rowId,
          r.score.toPrecision(4),
          ...(withRisk ? [r.privacyRisk !== undefined ? r.privacyRisk.toFixed(3) : '-'] : []),
        ]),
      },
    );
  }
  blocks.push(...recommendationBlocks(finding, report));
  return blocks;
}

function sliceTable(slices: readonly SliceLeakage[], what: string): Block {
  return {
    kind: 'table',
    columns: [
      { header: what, weight: 1.6, mono: true },
      { header: 'Members', weight: 1, align: 'right' },
      { header: 'Non-members', weight: 1.1, align: 'right' },
      { header: 'AUC', weight: 0.9, align: 'right' },
      { header: 'TPR at 1% FPR [95% CI]', weight: 2.2, align: 'right' },
      { header: 'Advantage', weight: 1, align: 'right' },
    ],
    rows: slices.map((s) =>
      s.metrics
        ? [
            s.value,
            String(s.nMembers),
            String(s.nNonMembers),
            s.metrics.auc.toFixed(3),
            withInterval(s.metrics.tpr['0.01'], s.metrics.tprInterval['0.01']),
            s.metrics.advantage.toFixed(3),
          ]
        : [s.value, String(s.nMembers), String(s.nNonMembers), '-', plain(s.note ?? 'too small to measure'), '-'],
    ),
    caption:
      'Small slices give wide intervals: compare slices by their intervals, not their point estimates. At these sizes "1% FPR" is often "no false positive at all".',
  };
}

function dataNotes(report: AuditReport): Block[] {
  const d = report.data;
  const facts: Array<[string, string]> = [
    ['Members (trained on)', `${d.members.rows} rows`],
    ['Non-members (never trained on)', `${d.nonMembers.rows} rows`],
    ['Population (for reference models)', d.population ? `${d.population.rows} rows` : 'none supplied'],
    ['Label column', d.labelColumn],
    ['Row-id column', d.idColumn ?? 'none (records named by data row number)'],
  ];
  if (d.pseudonymizedIds) {
    facts.push([
      'Row ids',
      `pseudonymised: "ps_" + the first 32 hex digits of HMAC-SHA256(key, id), key ${d.pseudonymizedIds.keyId}`,
    ]);
  }
  if (d.classes) facts.push(['Classes', d.classes.join(', ')]);
  if (d.groupColumn !== undefined) facts.push(['Declared sensitive (group) column', d.groupColumn]);
  const notes: string[] = [];
  const dup = d.duplicates;
  if (dup) {
    const total =
      dup.nonMembersMatchingMembers +
      dup.populationMatchingAudited +
      dup.withinMembers +
      dup.withinNonMembers +
      dup.withinPopulation;
    notes.push(
      total === 0
        ? `Duplicate records: none found (identical features and label under different ids; policy ${dup.policy}).`
        : `Duplicate records (identical features and label under different ids; policy ${dup.policy}): ${dup.nonMembersMatchingMembers} non-member(s) identical to a member, ${dup.populationMatchingAudited} population row(s) identical to an audited record, ${dup.withinMembers} / ${dup.withinNonMembers} / ${dup.withinPopulation} repeats within the members / non-members / population. Left out of the measurement: ${dup.excludedNonMembers} non-member(s) and ${dup.excludedPopulation} population row(s)${dup.policy === 'keep' ? ' (policy keep: every row audited as given)' : ''}.`,
    );
  }
  if (d.preprocessing) {
    notes.push(
      `The data were raw tables encoded into the model's inputs by the preprocessing spec ${d.preprocessing.name} (${d.preprocessing.features} raw columns into ${d.preprocessing.inputs} model inputs; sha256 in the appendix). Findings, slices and exposed records refer to the raw rows.`,
    );
  }
  const fit = report.config.referenceFit;
  if (fit) {
    const target = fit.target
      ? ` The audited model fits its training records with mean loss ${fit.target.loss === null ? 'n/a' : fit.target.loss.toPrecision(3)} and accuracy ${pct(fit.target.accuracy)}.`
      : '';
    const refs = (fit.references ?? [])
      .map(
        (r) =>
          `${r.mode} reference models: mean loss ${r.meanLoss.toPrecision(3)}, accuracy ${pct(r.meanAccuracy)} on their own training rows${r.trainRows !== undefined ? ` (${r.trainRows} rows)` : ''}`,
      )
      .join('; ');
    notes.push(
      `Reference models were trained on sets of ${fit.trainSize} rows for ${fit.epochs === 'auto' ? `as many epochs as needed to fit as tightly as the audited model (at most ${fit.maxEpochs ?? '?'})` : `${fit.epochs} epochs`}.${target}${refs ? ` ${refs.charAt(0).toUpperCase()}${refs.slice(1)}.` : ''} Reference models that fit much less tightly than the audited model would understate the attacks that use them.`,
    );
  }
  if (report.config.outputPolicy !== undefined) {
    notes.push(
      `What-if output policy: the model's answers were put through "${report.config.outputPolicy}" before any attack saw them; the findings describe the model as if its service returned only that.`,
    );
  }
  return [
    { kind: 'heading', level: 1, text: 'Data notes', pageBreak: true },
    { kind: 'facts', rows: facts },
    ...(notes.length > 0 ? [{ kind: 'bullets' as const, items: notes }] : []),
  ];
}

function regulatorySection(report: AuditReport): Block[] {
  const inversion = report.findings.some((f) => f.kind === 'inversion') ? INVERSION_REGULATORY_MAPPING : [];
  return [
    { kind: 'heading', level: 1, text: 'Regulatory and framework mapping' },
    {
      kind: 'paragraph',
      text: 'Membership inference is a confidentiality risk to the people in the training data. This report is evidence for the following obligations and controls.',
    },
    {
      kind: 'table',
      columns: [
        { header: 'Framework', weight: 1.4 },
        { header: 'Provision', weight: 1.5 },
        { header: 'What this report documents', weight: 4.5 },
      ],
      rows: [...MEMBERSHIP_REGULATORY_MAPPING, ...inversion].map((r) => [r.framework, r.provision, r.relevance]),
    },
  ];
}

function reproducibilityAppendix(report: AuditReport): Block[] {
  const c = report.config;
  const d = report.data;
  const hashes: Array<[string, string]> = [
    ['Model', report.target.sha256],
    ['Members', d.members.sha256],
    ['Non-members', d.nonMembers.sha256],
  ];
  if (d.population) hashes.push(['Population', d.population.sha256]);
  if (d.preprocessing) hashes.push([`Preprocessing spec (${d.preprocessing.name})`, d.preprocessing.sha256]);
  const config: Array<[string, string]> = [
    ['Tool', `${report.tool.name} ${report.tool.version}`],
    ['Report created', report.createdAt],
    ['Seed', String(c.seed)],
    ['Attacks', c.attacks.join(', ')],
    ['Reference models per set', String(c.referenceModels)],
  ];
  const t = c.referenceTraining;
  if (t) {
    const parts = [
      t.epochs !== undefined ? `epochs ${t.epochs}` : undefined,
      t.learningRate !== undefined ? `learning rate ${t.learningRate}` : undefined,
      t.batchSize !== undefined ? `batch size ${t.batchSize}` : undefined,
      t.l2 !== undefined ? `L2 ${t.l2}` : undefined,
    ].filter((p): p is string => p !== undefined);
    if (parts.length > 0) config.push(['Reference training', parts.join(', ')]);
  }
  if (c.referenceArchitecture) {
    config.push([
      'Reference architecture',
      `hidden ${c.referenceArchitecture.hidden.length > 0 ? c.referenceArchitecture.hidden.join('x') : 'none'}, ${c.referenceArchitecture.activation}`,
    ]);
  }
  if (c.referenceFit) config.push(['Reference training-set size', String(c.referenceFit.trainSize)]);
  if (c.referenceCost) {
    const rc = c.referenceCost;
    config.push([
      'Reference models',
      `${rc.sets.map((s) => `${s.k} ${s.mode}`).join(', ')}; ${rc.modelsTrained ?? rc.modelsToTrain} trained, ${rc.modelsCached ?? 0} from cache`,
    ]);
  }
  if (c.outputPolicy !== undefined) config.push(['Output policy', c.outputPolicy]);
  if (d.duplicates) config.push(['Duplicate policy', d.duplicates.policy]);
  return [
    { kind: 'heading', level: 1, text: 'Appendix: reproducibility', pageBreak: true },
    {
      kind: 'paragraph',
      text: 'Every random choice of the audit flows from the seed below: the same model, data, configuration and tool version give the same findings. Check the files against these sha256 hashes before re-running.',
    },
    { kind: 'heading', level: 2, text: 'Hashes (sha256)' },
    { kind: 'facts', rows: hashes, mono: true },
    { kind: 'heading', level: 2, text: 'Configuration' },
    { kind: 'facts', rows: config },
    { kind: 'heading', level: 2, text: 'Re-run' },
    {
      kind: 'paragraph',
      text: 'With the files above in the current directory (replace the names with yours), this command repeats the audit and renders this report:',
    },
    { kind: 'code', text: rerunCommand(report) },
  ];
}

/** A chart block (when there is one) with its clip ids made stable under `prefix`. */
async function chartBlocks(chart: Promise<Extract<Block, { kind: 'chart' }> | undefined>, prefix: string) {
  const block = await chart;
  return block ? [{ ...block, svg: withStableIds(block.svg, prefix) }] : [];
}

/**
 * vega numbers clip paths from a process-wide counter: renamed per chart, so the same report gives the same
 * bytes however many charts the process drew before, and several charts can share one HTML page.
 */
function withStableIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  return svg.replace(/\bclip\d+\b/g, (id) => {
    let stable = ids.get(id);
    if (stable === undefined) ids.set(id, (stable = `${prefix}-clip${ids.size + 1}`));
    return stable;
  });
}

function strongestAtOnePercent(findings: readonly MembershipFinding[]): MembershipFinding | undefined {
  let best: MembershipFinding | undefined;
  for (const f of findings) {
    if (!best || f.metrics.tprInterval['0.01'].lower > best.metrics.tprInterval['0.01'].lower) best = f;
  }
  return best && best.metrics.tprInterval['0.01'].lower > 0.01 ? best : undefined;
}

function attackDescription(attack: string): string {
  return ATTACK_DESCRIPTIONS[attack as AttackId] ?? `The ${attack} attack`;
}

function withInterval(value: number, interval: { lower: number; upper: number }): string {
  return `${pct(value)} [${pct(interval.lower)}, ${pct(interval.upper)}]`;
}

export function pct(x: number): string {
  const v = 100 * x;
  return `${v === 0 ? '0' : v < 10 ? v.toFixed(2) : v.toFixed(1)}%`;
}

/** A remote target: where it was queried and what the audit spent (never credentials). */
function endpointFacts(report: AuditReport): Array<[string, string]> {
  const e = report.target.endpoint;
  if (!e) return [];
  const q = report.config.queries;
  return [
    ['Endpoint', `${e.origin}${e.path} (${e.protocol}), queried as a black box`],
    ...(q
      ? [
          [
            'Queries',
            `${q.used} sent of a budget of ${q.budget}${q.spentBefore > 0 ? ` (${q.spentBefore} by earlier runs)` : ''}; ${q.cacheHits} repeated rows answered from the audit's cache`,
          ] as [string, string],
        ]
      : []),
  ];
}

export function formatDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Report text in characters every renderer can set (the PDF's standard fonts carry WinAnsi only). */
export function plain(text: string): string {
  return text
    .replace(/ε/g, 'epsilon')
    .replace(/δ/g, 'delta')
    .replace(/≤/g, '<=')
    .replace(/≥/g, '>=')
    .replace(/−/g, '-')
    .replace(/×/g, 'x')
    .replace(/≈/g, '~');
}

/**
 * Said wherever row ids are listed when they are pseudonyms: who can re-identify them and how (docs/cli.md,
 * "Pseudonymised row ids"). Empty when the ids are as given.
 */
function pseudonymNote(report: AuditReport): string {
  const p = report.data.pseudonymizedIds;
  if (!p) return '';
  return ` The row ids are pseudonyms (HMAC-SHA256 under the data owner's key ${p.keyId}); only the key holder can map them back, e.g. with privaudit pseudonymize --key-file <key> --ids <ids>.`;
}
