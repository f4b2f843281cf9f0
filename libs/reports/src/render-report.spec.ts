import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport, Finding } from '../../engine/src/types';
import { pdfText, renderedPageCount } from '../../../test/fixtures/pdf-text';
import { parseAuditReport, parseAuditReportText, ReportInputError } from './report-input';
import { renderReportHtml } from './render-html';
import { renderReportPdf } from './render-pdf';
import { recommendationsFor } from './recommendations';
import { rerunCommand } from './rerun-command';
import { membershipFindings } from '../../engine/src/report/findings';

jest.setTimeout(60_000);

// A real report: `privaudit demo` (digits, 300 members / 300 non-members, five attacks).
const DEMO_REPORT_TEXT = readFileSync(join(__dirname, '../../../test/fixtures/demo-report.json'), 'utf8');
const demoReport = (): AuditReport => JSON.parse(DEMO_REPORT_TEXT) as AuditReport;

/** The demo report with a declared group column, repeats in the data, a preprocessing spec and a hostile row id. */
function enrichedReport(): AuditReport {
  const r = demoReport();
  const findings: Finding[] = membershipFindings(r.findings).map((f, i) =>
    i === 0
      ? {
          ...f,
          mostExposed: [{ rowId: '<b>row & "one"</b>', score: 1.5, rank: 1 }, ...f.mostExposed.slice(1)],
          slices: {
            byClass: f.slices?.byClass ?? [],
            byGroup: [
              { value: 'female', nMembers: 150, nNonMembers: 140, metrics: f.slices!.byClass[0]!.metrics! },
              {
                value: 'other',
                nMembers: 3,
                nNonMembers: 2,
                note: 'too few records to measure (fewer than 10 per side)',
              },
            ],
          },
        }
      : f,
  );
  return {
    ...r,
    data: {
      ...r.data,
      groupColumn: 'sex',
      duplicates: { ...r.data.duplicates!, withinMembers: 4, nonMembersMatchingMembers: 2, excludedNonMembers: 2 },
      preprocessing: { name: 'spec.json', sha256: 'a'.repeat(64), features: 7, inputs: 64 },
    },
    findings,
  };
}

const flat = (text: string): string => text.replace(/\s+/g, ' ');

describe('PDF report', () => {
  let pdf: Buffer;
  let text: string;
  beforeAll(async () => {
    pdf = await renderReportPdf(demoReport());
    // Table cells wrap: compare with runs of white space as one space.
    text = flat(pdfText(pdf));
  });

  it('is a PDF whose every page renders', () => {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(renderedPageCount(pdf)).toBeGreaterThanOrEqual(8);
  });

  it("carries the rating, each finding's attack id, the model's sha256 and the executive summary in its text layer", () => {
    const report = demoReport();
    expect(text).toContain('Executive summary');
    expect(text).toContain(`Risk rating: ${report.risk.rating.toUpperCase()}`);
    expect(text).toContain(report.target.sha256);
    for (const f of membershipFindings(report.findings)) expect(text).toContain(`${f.attack} - severity ${f.severity}`);
    for (const heading of ['Most exposed records', 'Leakage by class', 'Recommendations', 'Data notes']) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('GDPR');
    expect(text).toContain('EU AI Act');
    expect(text).toContain('MEASURE 2.10');
    expect(text).toContain('ISO/IEC 42001');
    expect(text).toContain('ML04: Membership Inference Attack');
    expect(text).toContain('Appendix: reproducibility');
    expect(text).toContain(`--seed ${report.config.seed}`);
    // The chart's axes are drawn as text too (vector SVG, not an image).
    expect(text).toContain('false-positive rate (log scale)');
    // Exposed records by id, each finding's first one at least.
    for (const f of membershipFindings(report.findings)) expect(text).toContain(f.mostExposed[0]!.rowId);
  });

  it('lists its sections on the cover with the pages pdftotext finds them on', () => {
    const report = demoReport();
    const pages = pdfText(pdf).split('\f');
    const titles = [
      'Executive summary',
      'Findings at a glance',
      ...membershipFindings(report.findings).map((f, i) => `Finding ${i + 1}: ${f.attack} - severity ${f.severity}`),
      'Data notes',
      'Regulatory and framework mapping',
      'Appendix: reproducibility',
    ];
    const found = titles.map((t) => 1 + pages.findIndex((page, i) => i > 0 && flat(page).includes(t)));
    expect(found.every((p) => p > 1)).toBe(true);
    const cover = flat(pages[0]!);
    expect(cover).toContain(`Contents ${titles.join(' ')}`);
    expect(cover).toContain(found.join(' '));
  });

  it('is byte-for-byte reproducible from the same report JSON', async () => {
    const again = await renderReportPdf(demoReport());
    expect(again.equals(pdf)).toBe(true);
    // Dates come from the report, so another report date gives another file.
    const later = await renderReportPdf({ ...demoReport(), createdAt: '2027-01-02T03:04:05.000Z' });
    expect(later.equals(pdf)).toBe(false);
    expect(later.toString('latin1')).toContain('D:20270102030405Z');
  });

  it('does not depend on the key order of the JSON (a database may reorder keys)', async () => {
    const reversed = JSON.parse(JSON.stringify(demoReport()), (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse())
        : v,
    ) as AuditReport;
    expect((await renderReportPdf(reversed)).equals(pdf)).toBe(true);
  });

  it('reports group slices, duplicates and the preprocessing spec when the audit had them', async () => {
    const enriched = flat(pdfText(await renderReportPdf(enrichedReport())));
    expect(enriched).toContain('Leakage by group (sex)');
    expect(enriched).toContain('female');
    expect(enriched).toContain('too few records to measure');
    expect(enriched).toContain('De-duplicate the training data');
    expect(enriched).toContain('4 / 0 / 0 repeats within the members');
    expect(enriched).toContain('spec.json');
    expect(enriched).toContain('a'.repeat(64));
  });
});

describe('HTML report', () => {
  it('holds one inline SVG ROC chart per membership finding, one comparing them, and the same required text', async () => {
    const report = demoReport();
    const html = await renderReportHtml(report);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(report.findings.length + 1);
    // Every chart's clip paths have ids of their own: several SVGs share one page.
    const ids = [...html.matchAll(/<clipPath id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).toContain('Executive summary');
    expect(html).toContain(report.target.sha256);
    for (const f of membershipFindings(report.findings)) expect(html).toContain(f.attack);
    expect(html).not.toMatch(/<script|src=|href=/i);
    expect(await renderReportHtml(demoReport())).toBe(html);
  });

  it('escapes row ids and other values that come from user data', async () => {
    const html = await renderReportHtml(enrichedReport());
    expect(html).not.toContain('<b>row');
    expect(html).toContain('&#60;b&#62;row &#38; &#34;one&#34;&#60;/b&#62;');
  });
});

describe('reading a report JSON', () => {
  it('accepts a report the CLI wrote', () => {
    expect(parseAuditReportText(DEMO_REPORT_TEXT, 'report.json').target.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['not JSON', '{"schemaVersion": 1,', /^r\.json is not JSON: /],
    ['an array', '[1, 2]', /^r\.json is not a privaudit report: expected a JSON object$/],
    ['another JSON document', '{"name": "package"}', /^r\.json is not a privaudit report: it has no schemaVersion$/],
    [
      'another schema version',
      JSON.stringify({ ...JSON.parse(DEMO_REPORT_TEXT), schemaVersion: 2 }),
      /^r\.json has schemaVersion 2; this privaudit reads schemaVersion 1$/,
    ],
    [
      'a report without findings',
      JSON.stringify({ ...JSON.parse(DEMO_REPORT_TEXT), findings: undefined }),
      /^r\.json is not a privaudit report: findings: /,
    ],
    [
      'a finding without ROC points',
      DEMO_REPORT_TEXT.replace('"rocPoints"', '"rocPointz"'),
      /^r\.json is not a privaudit report: findings\.0\.metrics\.rocPoints: /,
    ],
  ])('refuses %s with one line naming what is wrong', (_what, text, message) => {
    let error: unknown;
    try {
      parseAuditReportText(text, 'r.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReportInputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('lets fields it does not know through (reports gain fields)', () => {
    const report = parseAuditReport({ ...demoReport(), signature: { alg: 'ed25519' } }, 'r.json');
    expect((report as unknown as { signature: unknown }).signature).toEqual({ alg: 'ed25519' });
  });
});

describe('re-run command', () => {
  it('repeats every option of the demo audit that changes its result', () => {
    const cmd = rerunCommand(demoReport()).replace(/ \\\n\s+/g, ' ');
    expect(cmd).toBe(
      'privaudit audit --model model.onnx --members members.csv --nonmembers nonmembers.csv --population population.csv ' +
        '--label digit --id-column id --attacks membership.loss,membership.confidence,membership.rmia,membership.lira-offline,membership.lira ' +
        '--reference-models 8 --reference-epochs 60 --reference-learning-rate 0.01 --reference-batch-size 32 ' +
        '--duplicates exclude --seed 1 --out report.json --pdf report.pdf',
    );
  });
});

describe('recommendations', () => {
  const base = demoReport();
  const finding = (attack: string, severity: Finding['severity']): Finding =>
    ({ ...membershipFindings(base.findings)[0]!, attack, severity }) as Finding;
  const titles = (f: Finding, report: AuditReport = base): string[] =>
    recommendationsFor(f, report).map((r) => r.title);

  it('asks for nothing but record keeping when the attack found nothing', () => {
    expect(titles(finding('membership.loss', 'none'))).toEqual(['No mitigation needed for this attack']);
  });

  it('does not offer coarser answers against an attack that needs only labels', () => {
    const t = titles(finding('membership.label-only', 'medium'));
    expect(t[0]).toBe('Coarser answers will not stop this attack');
    expect(t.join('|')).not.toMatch(/output rounding/);
    expect(t).toContain('Regularise the model');
  });

  it('fits the recommendations to the finding and the data', () => {
    const low = titles(finding('membership.loss', 'low'));
    expect(low[0]).toMatch(/output rounding, top-k/);
    expect(low).not.toContain('Train with differential privacy (DP-SGD)');
    expect(low).not.toContain('De-duplicate the training data');

    const high = titles(finding('membership.lira', 'high'), enrichedReport());
    expect(high).toEqual(
      expect.arrayContaining([
        'Train with differential privacy (DP-SGD)',
        'De-duplicate the training data',
        'Review the most exposed records',
        'Limit and monitor queries (rate limits)',
      ]),
    );
    const memorising = {
      ...base,
      config: {
        ...base.config,
        referenceFit: { trainSize: 300, epochs: 'auto' as const, target: { loss: 0.001, accuracy: 1 } },
      },
    };
    const regularise = recommendationsFor(finding('membership.loss', 'medium'), memorising).find(
      (r) => r.title === 'Regularise the model',
    );
    expect(regularise?.text).toContain('classifies 100% of its training records correctly');
  });

  it('renders a one-finding low-risk report without a comparison chart', async () => {
    const one: AuditReport = {
      ...base,
      risk: { ...base.risk, score: 4, rating: 'low' },
      findings: [finding('membership.label-only', 'none')],
    };
    const html = await renderReportHtml(one);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(1);
    const text = flat(pdfText(await renderReportPdf(one)));
    expect(text).toContain('Risk rating: LOW');
    expect(text).toContain('membership.label-only - severity none');
    expect(text).toContain('No mitigation needed for this attack');
  });

  it('renders an extraction finding beside membership findings: rated by its own rule, proportions with intervals', async () => {
    const extraction = {
      kind: 'extraction',
      attack: 'extraction.knockoff',
      severity: 'high',
      reference: 'Orekondy et al., CVPR 2019',
      summary: 'A copy agreeing with the model on 95% of held-out records was trained from 2000 queries.',
      metrics: { fidelity: 0.95, fidelityInterval: { lower: 0.93, upper: 0.965 }, queriesUsed: 2000 },
      exposure: { score: 70, rationale: 'Fidelity 0.95 reached within 2000 queries.' },
    };
    const mixed = parseAuditReport(
      { ...base, risk: { ...base.risk, score: 70, rating: 'high' }, findings: [...base.findings, extraction] },
      'r.json',
    );
    const text = flat(pdfText(await renderReportPdf(mixed)));
    expect(text).toContain('extraction.knockoff - severity high');
    expect(text).toContain('Fidelity 0.95 reached within 2000 queries.');
    expect(text).toMatch(/fidelity\s+0\.950\s+0\.930 to 0\.965/);
    expect(text).toContain('Limit, price and monitor queries');
    // With its curve and what-if (as the engine writes them): the fidelity chart and the policies' table.
    const interval = (x: number) => ({ lower: x - 0.02, upper: Math.min(1, x + 0.02) });
    const outcome = (policy: string, fidelity: number | null, q90: number | null) => ({
      policy,
      fidelity,
      fidelityInterval: fidelity === null ? null : interval(fidelity),
      queriesUsed: 2000,
      queriesTo: { '0.9': q90, '0.95': null, '0.99': null },
      usefulness: {
        labelAgreement: 1,
        labelAgreementInterval: interval(0.99),
        meanProbabilityChange: 0.25,
        brierScore: 0.2,
        brierIncrease: 0.1,
      },
    });
    const full = parseAuditReport(
      {
        ...base,
        findings: [
          {
            ...extraction,
            metrics: {
              ...extraction.metrics,
              curve: [
                { queries: 500, fidelity: 0.85, fidelityInterval: interval(0.85) },
                { queries: 2000, fidelity: 0.95, fidelityInterval: interval(0.95) },
              ],
              queriesTo: { '0.9': 2000, '0.95': 2000, '0.99': null },
              nHeldOut: 2000,
              whatIf: {
                outcomes: [outcome('full', 0.95, 2000), outcome('labels', 0.88, null)],
                raisesCostMost: 'labels',
                summary: "Answering 'labels' raises the attacker's cost most.",
              },
            },
          },
        ],
      },
      'r.json',
    );
    const fullText = flat(pdfText(await renderReportPdf(full)));
    expect(fullText).toContain('Fidelity of the stolen copy');
    expect(fullText).toContain('What if the API answered less');
    expect(fullText).toContain("Answering 'labels' raises the attacker's cost most.");
    expect(fullText).toMatch(/labels\s+0\.880\s+not reached/);
    // An extraction finding without its exposure is refused with the field named.
    expect(() => parseAuditReport({ ...base, findings: [{ ...extraction, exposure: undefined }] }, 'r.json')).toThrow(
      /^r\.json is not a privaudit report: findings\.0\.exposure: /,
    );
  });
});
