// Turns attack scores and metrics into findings a privacy officer can read, assembles the audit report
// (the machine-readable contract in BRIEF.md: schemaVersion 1, never rename fields), and renders the
// findings table the CLI prints. Records are only ever named by row id, never by their values.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  AttackId,
  AuditReport,
  ExposedRecord,
  Finding,
  FindingSlices,
  LabeledDataset,
  MembershipAttack,
  MembershipFinding,
  MembershipMetrics,
  MembershipScores,
  ModelSignature,
  ReferenceCost,
  RiskAssessment,
  Severity,
} from '../types';
import type { DuplicateRecords } from '../data/duplicate-records';
import { FPR_LEVELS } from '../metrics/membership-metrics';
import { membershipSeverity } from '../risk/severity';
import { groupLeakageSentence } from './finding-slices';
import { membershipFindings, nonMembershipFindings } from './findings';

export const DEFAULT_TOP_EXPOSED = 10;

/** What each attack assumes of the adversary, in plain language. */
export const ATTACK_DESCRIPTIONS: Readonly<Record<AttackId, string>> = {
  'membership.loss': "An attacker who sees the model's confidence in each record's true label (LOSS attack)",
  'membership.confidence': 'An attacker who sees only how confident the model is in its top answer (confidence attack)',
  'membership.shadow': 'An attacker who trains look-alike "shadow" models on similar data (shadow-model attack)',
  'membership.lira':
    'An attacker who trains reference models on similar data, some including the record (LiRA, online)',
  'membership.lira-offline':
    'An attacker who trains reference models on similar data that never include the record (LiRA, offline)',
  'membership.rmia': 'An attacker who compares each record against population data with a few reference models (RMIA)',
  'membership.label-only': "An attacker who sees only the model's predicted labels (label-only attack)",
  'extraction.equation-solving':
    "An attacker who solves for a linear model's weights from its confidence scores (equation-solving extraction)",
  'extraction.knockoff':
    'An attacker who queries the API with natural data and trains a copy on the answers (Knockoff Nets extraction)',
  'extraction.jacobian':
    'An attacker with little data who synthesises queries near the decision boundary (Jacobian-based extraction)',
  'extraction.copycat': 'An attacker who trains a copy from predicted labels alone (Copycat extraction)',
  'inversion.attribute':
    "An attacker who knows part of a person's record and recovers a hidden sensitive attribute (attribute inference)",
  'inversion.miface':
    "An attacker who reconstructs what a class's training records look like (MI-Face model inversion)",
};

export interface MembershipFindingInput {
  readonly attack: Pick<MembershipAttack, 'id' | 'reference'>;
  readonly scores: MembershipScores;
  readonly metrics: MembershipMetrics;
  /** Row ids of the members, in the order of scores.members. */
  readonly memberRowIds: readonly string[];
  readonly topExposed?: number;
  /** Song & Mittal privacy risk per member, in the order of scores.members (when offline reference models ran). */
  readonly memberPrivacyRisk?: Float64Array;
  /** Leakage by class and group, already compacted (finding-slices.ts). */
  readonly slices?: FindingSlices;
  /** Name of the declared group column: the summary then names the group that leaks most. */
  readonly groupColumn?: string;
  /**
   * Findings in the audit, this one included: the risk rating takes the worst of them, so the severity's
   * bounds are corrected for that many (severity.ts, indicatorConfidence). Default 1.
   */
  readonly attacksCompared?: number;
}

export function buildMembershipFinding(input: MembershipFindingInput): MembershipFinding {
  const severity = membershipSeverity(input.metrics, input.attacksCompared ?? 1);
  const byGroup = input.slices?.byGroup;
  const groupLine =
    byGroup && input.groupColumn !== undefined ? ` ${groupLeakageSentence(byGroup, input.groupColumn)}` : '';
  return {
    kind: 'membership',
    attack: input.attack.id,
    severity,
    reference: input.attack.reference,
    metrics: input.metrics,
    summary: membershipSummary(input.attack.id, input.metrics, severity) + groupLine,
    mostExposed: mostExposedMembers(
      input.scores.members,
      input.memberRowIds,
      input.topExposed ?? DEFAULT_TOP_EXPOSED,
      input.memberPrivacyRisk,
    ),
    ...(input.slices ? { slices: input.slices } : {}),
  };
}

/**
 * The n members with the highest membership scores, rank 1 = most exposed; ties keep file order.
 * With privacyRisk (one per member), each record also carries its Song & Mittal posterior.
 */
export function mostExposedMembers(
  scores: Float64Array,
  rowIds: readonly string[],
  n: number,
  privacyRisk?: Float64Array,
): ExposedRecord[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return order.slice(0, Math.max(0, n)).map((i, r) => ({
    rowId: rowIds[i] ?? String(i + 1),
    score: scores[i] as number,
    rank: r + 1,
    ...(privacyRisk && privacyRisk[i] !== undefined ? { privacyRisk: privacyRisk[i] } : {}),
  }));
}

export function membershipSummary(attack: AttackId, m: MembershipMetrics, severity: Severity): string {
  const lowFpr = m.tprInterval['0.001'];
  const fprUpper = m.fprInterval['0.001'].upper;
  const resolution =
    fprUpper > 2 * FPR_LEVELS['0.001']
      ? ` With ${m.nNonMembers} non-members, "1 in 1,000" cannot be resolved: at that threshold the false-alarm rate ` +
        `is only known to be below ${percent(fprUpper)} (95%), so the severity counts members flagged only beyond that.`
      : '';
  return (
    `${ATTACK_DESCRIPTIONS[attack]} picked out ${percent(m.tpr['0.001'])} of the ${m.nMembers} training records ` +
    `while wrongly flagging at most 1 in 1,000 non-members (95% CI ${percent(lowFpr.lower)}–${percent(lowFpr.upper)}; ` +
    `random guessing: 0.1%), and ${percent(m.tpr['0.01'])} at 1 in 100 (guessing: 1%). ` +
    `Its ROC AUC is ${m.auc.toFixed(3)} (95% CI ${m.aucInterval.lower.toFixed(3)}–${m.aucInterval.upper.toFixed(3)}; ` +
    `0.5 = guessing) and the empirical epsilon lower bound is ${m.epsilonLowerBound.toFixed(2)} (delta ${m.epsilonDelta}; ` +
    `a heuristic indicator from this one model and split, not a differential-privacy audit).${resolution} ` +
    `Severity: ${severity}.`
  );
}

export interface AuditReportParts {
  readonly targetSha256: string;
  readonly signature: ModelSignature;
  /** A remote target: where and how it was queried, and what it cost (absent for a model file). */
  readonly endpoint?: NonNullable<AuditReport['target']['endpoint']>;
  readonly queries?: AuditReport['config']['queries'];
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  readonly labelColumn: string;
  readonly idColumn?: string;
  readonly pseudonymizedIds?: AuditReport['data']['pseudonymizedIds'];
  readonly groupColumn?: string;
  readonly attacks: readonly AttackId[];
  readonly seed: number;
  readonly referenceModels: number;
  readonly referenceCost?: ReferenceCost;
  readonly referenceTraining?: AuditReport['config']['referenceTraining'];
  readonly referenceArchitecture?: AuditReport['config']['referenceArchitecture'];
  readonly referenceFit?: AuditReport['config']['referenceFit'];
  readonly attacksNeedingPopulation?: readonly AttackId[];
  readonly inversion?: AuditReport['config']['inversion'];
  readonly classes?: readonly string[];
  /** Identical records under different ids and what the policy did with them (data/duplicate-records.ts). */
  readonly duplicates?: DuplicateRecords;
  readonly preprocessing?: AuditReport['data']['preprocessing'];
  readonly findings: readonly Finding[];
  readonly risk: RiskAssessment;
  readonly createdAt?: Date;
}

export function buildAuditReport(parts: AuditReportParts): AuditReport {
  return {
    schemaVersion: 1,
    tool: { name: 'privaudit', version: toolVersion() },
    createdAt: (parts.createdAt ?? new Date()).toISOString(),
    target: {
      sha256: parts.targetSha256,
      format: parts.endpoint ? 'http' : 'onnx',
      nFeatures: parts.signature.nFeatures,
      numClasses: parts.signature.numClasses,
      outputKind: parts.signature.outputKind,
      ...(parts.endpoint ? { endpoint: { ...parts.endpoint } } : {}),
    },
    data: {
      members: { sha256: parts.members.sha256, rows: parts.members.nRows },
      // rows counts the file's rows; records left out as duplicates are in data.duplicates.
      nonMembers: {
        sha256: parts.nonMembers.sha256,
        rows: parts.nonMembers.nRows + (parts.duplicates?.excludedNonMembers ?? 0),
      },
      ...(parts.population
        ? {
            population: {
              sha256: parts.population.sha256,
              rows: parts.population.nRows + (parts.duplicates?.excludedPopulation ?? 0),
            },
          }
        : {}),
      labelColumn: parts.labelColumn,
      ...(parts.idColumn !== undefined ? { idColumn: parts.idColumn } : {}),
      ...(parts.pseudonymizedIds ? { pseudonymizedIds: { ...parts.pseudonymizedIds } } : {}),
      ...(parts.groupColumn !== undefined ? { groupColumn: parts.groupColumn } : {}),
      ...(parts.classes !== undefined ? { classes: [...parts.classes] } : {}),
      ...(parts.duplicates ? { duplicates: { ...parts.duplicates } } : {}),
      ...(parts.preprocessing ? { preprocessing: { ...parts.preprocessing } } : {}),
    },
    config: {
      attacks: [...parts.attacks],
      seed: parts.seed,
      referenceModels: parts.referenceModels,
      ...(parts.referenceTraining ? { referenceTraining: { ...parts.referenceTraining } } : {}),
      ...(parts.referenceArchitecture
        ? {
            referenceArchitecture: {
              hidden: [...parts.referenceArchitecture.hidden],
              activation: parts.referenceArchitecture.activation,
            },
          }
        : {}),
      ...(parts.referenceFit ? { referenceFit: parts.referenceFit } : {}),
      ...(parts.attacksNeedingPopulation && parts.attacksNeedingPopulation.length > 0
        ? { attacksNeedingPopulation: [...parts.attacksNeedingPopulation] }
        : {}),
      ...(parts.referenceCost ? { referenceCost: parts.referenceCost } : {}),
      ...(parts.queries ? { queries: { ...parts.queries } } : {}),
      ...(parts.inversion ? { inversion: { ...parts.inversion } } : {}),
    },
    findings: parts.findings,
    risk: parts.risk,
  };
}

let cachedVersion: string | undefined;

/** privaudit's version from its package.json, found by walking up from this file (works from src and dist). */
export function toolVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'privaudit' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return (cachedVersion = '0.0.0-unknown');
    dir = parent;
  }
}

/** Fixed-width findings table plus the risk line, as the CLI prints it. */
export function formatFindingsTable(report: AuditReport): string {
  const header = ['attack', 'AUC', 'TPR@0.1%FPR', 'TPR@1%FPR', 'ε LB*', 'severity'];
  const rows = membershipFindings(report.findings).map((f) => [
    f.attack,
    f.metrics.auc.toFixed(3),
    percent(f.metrics.tpr['0.001']),
    percent(f.metrics.tpr['0.01']),
    f.metrics.epsilonLowerBound.toFixed(2),
    f.severity,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  // The attack column reads left-aligned, the numbers right-aligned.
  const line = (cells: string[]) =>
    cells
      .map((cell, c) =>
        c === 0 || c === cells.length - 1 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const others = nonMembershipFindings(report.findings);
  const body = rows.length > 0 ? rows.map(line) : others.length > 0 ? [] : ['(no attacks run)'];
  return [
    ...(rows.length > 0 || others.length === 0 ? [line(header), rule, ...body] : []),
    ...(rows.length > 0 ? [EPSILON_FOOTNOTE] : []),
    ...others.map((f) => `${f.attack} (severity ${f.severity}): ${f.summary}`),
    '',
    `Risk: ${report.risk.score}/100 (${report.risk.rating}). ${report.risk.rationale}`,
    ...(report.config.attacksNeedingPopulation
      ? [
          `Not run: ${report.config.attacksNeedingPopulation.join(', ')} need a population file (--population); without them the audit can under-report.`,
        ]
      : []),
    ...duplicateLines(report),
  ].join('\n');
}

function duplicateLines(report: AuditReport): string[] {
  const d = report.data.duplicates;
  if (!d || d.nonMembersMatchingMembers + d.populationMatchingAudited === 0) return [];
  const left = d.policy === 'exclude' ? 'left out of the measurement' : 'kept (--duplicates keep)';
  return [
    `Duplicate records: ${d.nonMembersMatchingMembers} non-member(s) identical to a member and ${d.populationMatchingAudited} population row(s) identical to an audited record, ${left}.`,
  ];
}

/** Printed under the findings table: what the ε column is and is not. */
export const EPSILON_FOOTNOTE =
  '* ε LB: empirical epsilon lower bound, a heuristic indicator measured on this one model and split; ' +
  'not a differential-privacy audit (docs/risk-model.md).';

function percent(p: number): string {
  return `${(100 * p).toFixed(2)}%`;
}
