import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { membershipFindings } from '../../engine/src/report/findings';
import type { AuditReport } from '../../engine/src/types';
import { diffAuditReports, evaluateRiskGate } from './report-diff';

const DEMO_REPORT_TEXT = readFileSync(join(__dirname, '../../../test/fixtures/demo-report.json'), 'utf8');
const demoReport = (): AuditReport => JSON.parse(DEMO_REPORT_TEXT) as AuditReport;

describe('diffAuditReports', () => {
  it('finds nothing changed between a report and itself', () => {
    const diff = diffAuditReports(demoReport(), demoReport());
    expect(diff.risk).toMatchObject({ change: 0, ratingChanged: false });
    expect(diff.newFindings).toEqual([]);
    expect(diff.resolvedFindings).toEqual([]);
    expect(diff.notRepeated).toEqual([]);
    for (const f of diff.findings) {
      expect(f.newlyExposed).toEqual([]);
      expect(f.metrics.length).toBeGreaterThan(5);
      for (const m of f.metrics) {
        expect(m.change).toBe(0);
        if (m.significant !== null) expect(m.significant).toBe(false);
      }
      // Intervals are found beside their metric, also under a keyed metric (tpr at a fixed FPR).
      expect(f.metrics.find((m) => m.metric === 'auc')?.currentInterval).not.toBeNull();
      expect(f.metrics.find((m) => m.metric === 'tpr.0.001')?.currentInterval).not.toBeNull();
      // Arrays (ROC points) and the interval objects themselves are not metrics.
      expect(f.metrics.some((m) => m.metric.startsWith('rocPoints') || m.metric.includes('Interval'))).toBe(false);
    }
  });

  it('reports the risk change, new and resolved findings, significant shifts and newly exposed ids', () => {
    const previous = demoReport();
    const [first, second, ...rest] = membershipFindings(previous.findings);
    const current: AuditReport = {
      ...previous,
      risk: { ...previous.risk, score: previous.risk.score + 30, rating: 'critical' },
      findings: [
        {
          ...first!,
          severity: 'critical',
          metrics: {
            ...first!.metrics,
            auc: 0.99,
            aucInterval: { lower: 0.98, upper: 0.995 },
          },
          mostExposed: [{ rowId: 'brand-new-row', score: 9, rank: 1 }, ...first!.mostExposed.slice(1)],
        },
        { ...second!, severity: 'none' },
        ...rest.slice(1),
      ],
    };
    const before = {
      ...previous,
      findings: previous.findings.map((f, i) => (i === 1 ? { ...f, severity: 'medium' as const } : f)),
    };
    const diff = diffAuditReports(before, current);
    expect(diff.risk).toMatchObject({ change: 30, ratingChanged: true, currentRating: 'critical' });
    const firstChange = diff.findings.find((f) => f.attack === first!.attack)!;
    const auc = firstChange.metrics.find((m) => m.metric === 'auc')!;
    expect(auc).toMatchObject({ previous: first!.metrics.auc, current: 0.99, significant: true });
    expect(auc.change).toBeCloseTo(0.99 - first!.metrics.auc, 12);
    expect(firstChange.newlyExposed).toEqual(['brand-new-row']);
    expect(diff.resolvedFindings).toEqual([second!.attack]);
    expect(diff.notRepeated).toEqual([previous.findings[2]!.attack]);
    // A finding of an attack the previous audit did not run, at risk: new.
    const added = diffAuditReports({ ...previous, findings: [] }, previous);
    expect(added.newFindings).toEqual(previous.findings.filter((f) => f.severity !== 'none').map((f) => f.attack));
  });

  it('calls no record newly exposed when the two reports name records under different pseudonym keys', () => {
    const previous = demoReport();
    const [first, ...rest] = membershipFindings(previous.findings);
    const withNewRow = (r: AuditReport, keyId: string | undefined): AuditReport => ({
      ...r,
      data: { ...r.data, ...(keyId ? { pseudonymizedIds: { scheme: 'hmac-sha256-128' as const, keyId } } : {}) },
      findings: [
        { ...first!, mostExposed: [{ rowId: 'ps_new', score: 9, rank: 1 }, ...first!.mostExposed.slice(1)] },
        ...rest,
      ],
    });
    const underKey = (r: AuditReport, keyId: string): AuditReport => ({
      ...r,
      data: { ...r.data, pseudonymizedIds: { scheme: 'hmac-sha256-128', keyId } },
    });
    const sameKey = diffAuditReports(underKey(previous, 'psk_a'), withNewRow(previous, 'psk_a'));
    expect(sameKey.exposedIds).toEqual({ comparable: true, previousKeyId: 'psk_a', currentKeyId: 'psk_a' });
    expect(sameKey.findings.find((f) => f.attack === first!.attack)!.newlyExposed).toEqual(['ps_new']);
    for (const [before, after] of [
      [underKey(previous, 'psk_a'), withNewRow(previous, 'psk_b')],
      [previous, withNewRow(previous, 'psk_b')],
      [underKey(previous, 'psk_a'), withNewRow(previous, undefined)],
    ] as const) {
      const diff = diffAuditReports(before, after);
      expect(diff.exposedIds.comparable).toBe(false);
      expect(diff.findings.every((f) => f.newlyExposed.length === 0)).toBe(true);
    }
  });

  it('reads findings of other kinds generically: any numeric metric present in both', () => {
    const extraction = (fidelity: number) => ({
      kind: 'extraction',
      attack: 'extraction.knockoff',
      severity: 'high',
      metrics: { fidelity, fidelityInterval: { lower: fidelity - 0.01, upper: fidelity + 0.01 }, queries: 1000 },
    });
    const diff = diffAuditReports(
      { risk: { score: 60, rating: 'high' }, findings: [extraction(0.9)] },
      { risk: { score: 40, rating: 'medium' }, findings: [extraction(0.5)] },
    );
    expect(diff.findings[0]!.metrics).toEqual([
      expect.objectContaining({ metric: 'fidelity', previous: 0.9, current: 0.5, significant: true }),
      expect.objectContaining({ metric: 'queries', change: 0, significant: null }),
    ]);
  });
});

describe('evaluateRiskGate', () => {
  it('passes a rise within maxRise and a fall, fails a larger rise, passes a first audit', () => {
    expect(evaluateRiskGate(30, 35, 5)).toMatchObject({ passed: true, rise: 5 });
    expect(evaluateRiskGate(30, 10, 0)).toMatchObject({ passed: true, rise: -20 });
    expect(evaluateRiskGate(30, 36, 5)).toMatchObject({ passed: false, rise: 6 });
    expect(evaluateRiskGate(30, 36, 5).reason).toBe(
      'gate failed: risk score 30 -> 36 (+6 points), more than the +5 allowed',
    );
    expect(evaluateRiskGate(null, 90, 0)).toMatchObject({ passed: true, rise: null });
  });
});
