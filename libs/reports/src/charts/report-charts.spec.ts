import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport } from '../../../engine/src/types';
import { pdfText, renderedPageCount } from '../../../../test/fixtures/pdf-text';
import { renderReportHtml } from '../render-html';
import { renderReportPdf } from '../render-pdf';
import { parseAuditReport } from '../report-input';
import { separatedHistogram, withChartInputs } from './chart-fixtures';
import { scoreHistogramBlock, usableHistogram } from './score-histogram-chart';
import { attributeGroupChartBlock, MAX_GROUPS_DRAWN } from './attribute-group-chart';

jest.setTimeout(60_000);

const demo = (): AuditReport =>
  JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/demo-report.json'), 'utf8')) as AuditReport;
const flat = (t: string) => t.replace(/\s+/g, ' ');

describe('score histogram and attribute-inference charts', () => {
  let report: AuditReport;
  let pdf: Buffer;
  let text: string;
  beforeAll(async () => {
    report = parseAuditReport(JSON.parse(JSON.stringify(withChartInputs(demo()))), 'charts.json');
    pdf = await renderReportPdf(report);
    text = flat(pdfText(pdf));
    // PRIVAUDIT_CHARTS_OUT=dir writes the documents, to look at the pages (pdftoppm -png).
    const out = process.env.PRIVAUDIT_CHARTS_OUT;
    if (out) {
      writeFileSync(join(out, 'charts.pdf'), pdf);
      writeFileSync(join(out, 'charts.html'), await renderReportHtml(report));
    }
  });

  it('draws the histogram and the by-group chart in the PDF, as vector text a reader can find', () => {
    expect(renderedPageCount(pdf)).toBeGreaterThanOrEqual(9);
    expect(text).toContain('attack score (higher: more likely a member)');
    expect(text).toContain('share of the group');
    expect(text).toMatch(/members non-members/);
    expect(text).toContain('counted in the first or last bar');
    expect(text).toContain('Advantage by group');
    expect(text).toContain('female (140)');
    expect(text).toContain('baseline (no model)');
  });

  it('stays byte-for-byte reproducible', async () => {
    expect((await renderReportPdf(report)).equals(pdf)).toBe(true);
  });

  it('adds one SVG per chart to the HTML, with ids no other chart uses', async () => {
    const html = await renderReportHtml(report);
    const plain = await renderReportHtml(demo());
    const count = (h: string) => (h.match(/<svg[\s>]/g) ?? []).length;
    expect(count(html)).toBe(count(plain) + 2);
    const ids = [...html.matchAll(/id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws bins of equal numbers of records at their place in the ranking of all scores', async () => {
    const block = await scoreHistogramBlock('membership.loss', {
      scoreHistogram: {
        edges: [-18, -0.5, -0.01, 0],
        members: [0, 10, 20],
        nonMembers: [15, 10, 5],
        binning: 'quantile',
      },
      nMembers: 30,
      nNonMembers: 30,
    });
    expect(block?.svg).toContain('score percentile among all records');
    expect(block?.caption).toContain('too skewed for bins of equal width (they run from -18 to 0)');
  });

  it('reads old reports (no histogram) and refuses to draw a malformed one', async () => {
    expect(usableHistogram(undefined)).toBeUndefined();
    expect(usableHistogram({ edges: [0, 1], members: [1, 2], nonMembers: [1] })).toBeUndefined();
    expect(usableHistogram({ edges: [0, Number.NaN], members: [1], nonMembers: [1] })).toBeUndefined();
    expect(await scoreHistogramBlock('a', { nMembers: 1, nNonMembers: 1 })).toBeUndefined();
    const h = separatedHistogram();
    const block = await scoreHistogramBlock('membership.loss', { scoreHistogram: h, nMembers: 300, nNonMembers: 300 });
    expect(block?.svg).toMatch(/^<svg/);
  });

  it('refuses a report whose histogram does not fit its bins, naming the field', () => {
    const bad = JSON.parse(JSON.stringify(report)) as { findings: Array<{ metrics: { scoreHistogram?: unknown } }> };
    bad.findings[0]!.metrics.scoreHistogram = { edges: [0, 1, 2], members: [1], nonMembers: [1, 2] };
    expect(() => parseAuditReport(bad, 'bad.json')).toThrow(
      'bad.json is not a privaudit report: findings.0.metrics.scoreHistogram: members and nonMembers need one count per bin',
    );
    bad.findings[0]!.metrics.scoreHistogram = { edges: [0, 0], members: [1], nonMembers: [2] };
    expect(() => parseAuditReport(bad, 'bad.json')).toThrow('edges must increase');
  });

  it('draws at most MAX_GROUPS_DRAWN values, the largest, and says so', async () => {
    const g = (i: number) => ({
      value: `v${i}`,
      nMembers: i + 1,
      memberAccuracy: 0.5,
      memberAccuracyInterval: { lower: 0.4, upper: 0.6 },
      baselineAccuracy: 0.5,
      baselineAccuracyInterval: { lower: 0.4, upper: 0.6 },
    });
    const block = await attributeGroupChartBlock(
      'c',
      Array.from({ length: 40 }, (_, i) => g(i)),
    );
    expect(block?.caption).toContain(
      `The ${MAX_GROUPS_DRAWN} values with the most members are drawn; the table lists all 40.`,
    );
    expect(block?.svg).toContain('v39 (40)');
    expect(block?.svg).not.toContain('v0 (1)');
    expect(await attributeGroupChartBlock('c', [{ value: 'x' }])).toBeUndefined();
  });
});
