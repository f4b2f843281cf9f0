// What changed between two audits of one model: the risk score and rating, findings new or resolved, each
// finding's numeric metrics with their 95% intervals, and records newly among the most exposed (ids only).
//
// Findings are read generically (any kind of finding: membership, extraction, inversion): keyed by `attack`,
// compared by `severity`, and every numeric field under `metrics` present in both is diffed. A metric `x` (or
// `x.<key>`) has an interval when the finding carries `xInterval` (or `xInterval.<key>`) as {lower, upper}.
// A change is called significant when both 95% intervals exist and do not overlap: a conservative test (two
// disjoint 95% intervals mean p < 0.05 and in practice far less), so "not significant" can still hide a change.

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

export interface MetricChange {
  /** Path under the finding's `metrics`: 'auc', 'tpr.0.001', 'fidelity'. */
  readonly metric: string;
  readonly previous: number;
  readonly current: number;
  readonly change: number;
  readonly previousInterval: Interval | null;
  readonly currentInterval: Interval | null;
  /** Both intervals disjoint; null when either audit gave no interval for this metric. */
  readonly significant: boolean | null;
}

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface FindingChange {
  /** The attack id (suffixed #2, #3 when one audit holds several findings of one attack). */
  readonly attack: string;
  /** null when the attack did not run in that audit. */
  readonly previousSeverity: Severity | null;
  readonly currentSeverity: Severity | null;
  readonly metrics: MetricChange[];
  /** Row ids among the current finding's most exposed records that were not among the previous ones. */
  readonly newlyExposed: string[];
}

export interface AuditReportDiff {
  readonly risk: {
    readonly previousScore: number;
    readonly currentScore: number;
    readonly change: number;
    readonly previousRating: string;
    readonly currentRating: string;
    readonly ratingChanged: boolean;
  };
  /** Attacks whose finding is above severity 'none' now and was 'none' or not measured before. */
  readonly newFindings: string[];
  /** Attacks measured in both whose finding was above 'none' and is 'none' now. */
  readonly resolvedFindings: string[];
  /** Attacks of the previous audit that this one did not run (nothing is known of them now). */
  readonly notRepeated: string[];
  readonly findings: FindingChange[];
  /**
   * Whether row ids compare between the two audits: both raw, or both pseudonymised under the same key. Otherwise the
   * same record has different ids in each (data.pseudonymizedIds.keyId), so no record is called newly exposed.
   */
  readonly exposedIds: {
    readonly comparable: boolean;
    readonly previousKeyId: string | null;
    readonly currentKeyId: string | null;
  };
}

/** What the diff reads of a report: nothing beyond schemaVersion 1's risk and findings. */
export interface DiffableReport {
  readonly risk: { readonly score: number; readonly rating: string };
  readonly findings: readonly unknown[];
  /** Which key pseudonymised its row ids, if any (docs/cli.md, "Pseudonymised row ids"). */
  readonly data?: { readonly pseudonymizedIds?: { readonly keyId: string } };
}

const SEVERITY_ORDER: readonly Severity[] = ['none', 'low', 'medium', 'high', 'critical'];

export function diffAuditReports(previous: DiffableReport, current: DiffableReport): AuditReportDiff {
  const before = keyedFindings(previous.findings);
  const after = keyedFindings(current.findings);
  const previousKeyId = previous.data?.pseudonymizedIds?.keyId ?? null;
  const currentKeyId = current.data?.pseudonymizedIds?.keyId ?? null;
  const idsComparable = previousKeyId === currentKeyId;
  const findings: FindingChange[] = [];
  for (const [attack, now] of after) {
    const then = before.get(attack);
    findings.push({
      attack,
      previousSeverity: then ? severityOf(then) : null,
      currentSeverity: severityOf(now),
      metrics: then ? diffMetrics(metricsOf(then), metricsOf(now)) : [],
      newlyExposed: then && idsComparable ? newlyExposed(then, now) : [],
    });
  }
  for (const [attack, then] of before) {
    if (!after.has(attack))
      findings.push({
        attack,
        previousSeverity: severityOf(then),
        currentSeverity: null,
        metrics: [],
        newlyExposed: [],
      });
  }
  const above = (s: Severity | null): boolean => s !== null && s !== 'none';
  return {
    risk: {
      previousScore: previous.risk.score,
      currentScore: current.risk.score,
      change: current.risk.score - previous.risk.score,
      previousRating: previous.risk.rating,
      currentRating: current.risk.rating,
      ratingChanged: previous.risk.rating !== current.risk.rating,
    },
    newFindings: findings.filter((f) => above(f.currentSeverity) && !above(f.previousSeverity)).map((f) => f.attack),
    resolvedFindings: findings
      .filter((f) => above(f.previousSeverity) && f.currentSeverity === 'none')
      .map((f) => f.attack),
    notRepeated: findings.filter((f) => f.currentSeverity === null).map((f) => f.attack),
    findings,
    exposedIds: { comparable: idsComparable, previousKeyId, currentKeyId },
  };
}

export interface RiskGateOutcome {
  readonly passed: boolean;
  /** Risk points over the previous audit; null for a model's first audit (nothing to compare: it passes). */
  readonly rise: number | null;
  readonly maxRise: number;
  readonly reason: string;
}

/** The release gate: passes when the risk score rose by at most maxRise points (a fall always passes). */
export function evaluateRiskGate(previousScore: number | null, currentScore: number, maxRise: number): RiskGateOutcome {
  if (previousScore === null) {
    return { passed: true, rise: null, maxRise, reason: 'first audit of the model: nothing to compare' };
  }
  const rise = currentScore - previousScore;
  const passed = rise <= maxRise;
  const change = `risk score ${previousScore} -> ${currentScore} (${rise >= 0 ? '+' : ''}${rise} points)`;
  return {
    passed,
    rise,
    maxRise,
    reason: passed
      ? `gate passed: ${change}; at most +${maxRise} allowed`
      : `gate failed: ${change}, more than the +${maxRise} allowed`,
  };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyedFindings(findings: readonly unknown[]): Map<string, Json> {
  const keyed = new Map<string, Json>();
  const seen = new Map<string, number>();
  for (const f of findings) {
    if (!isObject(f) || typeof f.attack !== 'string') continue;
    const n = (seen.get(f.attack) ?? 0) + 1;
    seen.set(f.attack, n);
    keyed.set(n === 1 ? f.attack : `${f.attack}#${n}`, f);
  }
  return keyed;
}

function severityOf(f: Json): Severity {
  return SEVERITY_ORDER.includes(f.severity as Severity) ? (f.severity as Severity) : 'none';
}

function metricsOf(f: Json): Json {
  return isObject(f.metrics) ? f.metrics : {};
}

/** Numeric leaves of `metrics`, by dotted path (with their segments: keys such as '0.001' hold dots). */
function numericLeaves(metrics: Json): Map<string, { segments: string[]; value: number }> {
  const leaves = new Map<string, { segments: string[]; value: number }>();
  const walk = (value: unknown, segments: string[]): void => {
    if (typeof value === 'number' && Number.isFinite(value)) leaves.set(segments.join('.'), { segments, value });
    // Interval objects and arrays (ROC points, curves) are not metrics.
    else if (isObject(value) && !isInterval(value)) {
      for (const key of Object.keys(value).sort()) {
        if (segments.length === 0 && key.endsWith('Interval')) continue;
        walk(value[key], [...segments, key]);
      }
    }
  };
  walk(metrics, []);
  return leaves;
}

function isInterval(v: Json): boolean {
  return typeof v.lower === 'number' && typeof v.upper === 'number';
}

function intervalOf(metrics: Json, segments: readonly string[]): Interval | null {
  const [head, ...rest] = segments;
  let node: unknown = metrics[`${head}Interval`];
  for (const key of rest) node = isObject(node) ? node[key] : undefined;
  return isObject(node) && isInterval(node) ? { lower: node.lower as number, upper: node.upper as number } : null;
}

function diffMetrics(previous: Json, current: Json): MetricChange[] {
  const before = numericLeaves(previous);
  const changes: MetricChange[] = [];
  for (const [metric, { segments, value: now }] of numericLeaves(current)) {
    const then = before.get(metric)?.value;
    if (then === undefined) continue;
    const previousInterval = intervalOf(previous, segments);
    const currentInterval = intervalOf(current, segments);
    const significant =
      previousInterval && currentInterval
        ? previousInterval.upper < currentInterval.lower || currentInterval.upper < previousInterval.lower
        : null;
    changes.push({
      metric,
      previous: then,
      current: now,
      change: now - then,
      previousInterval,
      currentInterval,
      significant,
    });
  }
  return changes;
}

function exposedIds(f: Json): string[] {
  if (!Array.isArray(f.mostExposed)) return [];
  return f.mostExposed.flatMap((r) => (isObject(r) && typeof r.rowId === 'string' ? [r.rowId] : []));
}

function newlyExposed(previous: Json, current: Json): string[] {
  const before = new Set(exposedIds(previous));
  return exposedIds(current).filter((id) => !before.has(id));
}
