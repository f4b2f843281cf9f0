import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { AuditReport, InversionFinding, ModelInversionMetrics } from '../../engine/src/types';
import { pdfText } from '../../../test/fixtures/pdf-text';
import { encodeUpscaledPng, reconstructionGridBlocks } from './reconstruction-grid';
import { renderReportHtml } from './render-html';
import { renderReportPdf } from './render-pdf';
import { parseAuditReport } from './report-input';

jest.setTimeout(60_000);

const fixtures = join(__dirname, '../../../test/fixtures');
const demo = (): AuditReport => JSON.parse(readFileSync(join(fixtures, 'demo-report.json'), 'utf8')) as AuditReport;
// A real finding: white-box MI-Face against test/fixtures/models/digits-cnn.onnx (seed 7, 3 restarts per class),
// as the engine wrote it, images included.
const miface = (): InversionFinding =>
  JSON.parse(readFileSync(join(fixtures, 'miface-finding.json'), 'utf8')) as InversionFinding;
const withMiface = (finding: InversionFinding = miface()): AuditReport => {
  const r = demo();
  return parseAuditReport({ ...r, findings: [...r.findings, finding] }, 'report.json');
};
const flat = (text: string): string => text.replace(/\s+/g, ' ');

describe('MI-Face reconstructions in the report', () => {
  it('the grid has one column per class and one row per start point, each picture labelled', () => {
    const m = miface().metrics as ModelInversionMetrics;
    const [grid] = reconstructionGridBlocks(m);
    expect(grid?.rowLabels).toEqual([
      'start: population mean',
      'start: random population mix 1',
      'start: random population mix 2',
    ]);
    expect(grid?.bands).toHaveLength(1);
    expect(grid?.bands[0]).toHaveLength(3);
    expect(grid?.bands[0]?.[0]?.map((c) => c?.label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const recognised = m.reconstructions.filter((r) => r.recognised).length;
    expect(grid?.bands.flat(2).filter((c) => c?.note === 'recognised: yes')).toHaveLength(recognised);
    // No image, no grid (tabular inputs).
    expect(
      reconstructionGridBlocks({ ...m, reconstructions: m.reconstructions.map(({ image: _, ...r }) => r) }),
    ).toEqual([]);
  });

  it('upscales pixels into square blocks, grey to RGB', () => {
    const png = PNG.sync.read(encodeUpscaledPng({ width: 2, height: 1, channels: 1, pixels: [0, 255] }));
    expect([png.width, png.height]).toEqual([64, 32]);
    expect(png.data[0]).toBe(0);
    expect(png.data[(0 * 64 + 63) * 4]).toBe(255);
    expect(png.data[(31 * 64 + 31) * 4]).toBe(0);
  });

  it('the PDF shows every reconstruction as an image under its class name, reproducibly, and every page renders', async () => {
    const report = withMiface();
    const pdf = await renderReportPdf(report);
    expect((await renderReportPdf(report)).equals(pdf)).toBe(true);
    const text = flat(pdfText(pdf));
    expect(text).toContain('inversion.miface');
    expect(text).toContain('start: population mean');
    expect(text).toContain('Gradients: exact gradients through the rebuilt ONNX graph (Conv,');
    expect(text).toContain('Synthesised reconstructions (no real record is shown)');
    expect(text).toMatch(/start: population mean 0 1 2 3 4 5 6 7 8 9 recognised: (yes|no) recognised: (yes|no)/);
    // 30 image XObjects, one per reconstruction.
    expect((pdf.toString('latin1').match(/\/Subtype \/Image/g) ?? []).length).toBe(30);
    const dir = mkdtempSync(join(tmpdir(), 'privaudit-grid-'));
    try {
      writeFileSync(join(dir, 'r.pdf'), pdf);
      execFileSync('pdftoppm', ['-r', '20', '-png', join(dir, 'r.pdf'), join(dir, 'page')]);
      expect(readdirSync(dir).filter((f) => f.endsWith('.png')).length).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the HTML page embeds the pictures inline (nothing loaded from elsewhere)', async () => {
    const html = await renderReportHtml(withMiface());
    expect((html.match(/<img alt="reconstruction of class \d" src="data:image\/png;base64,/g) ?? []).length).toBe(30);
    expect(html).toContain('recognised: yes');
    expect(html).not.toMatch(/src="(https?:|\/\/)/);
  });

  it('a report whose image pixels do not fill the declared size is refused with the field named', () => {
    const finding = miface();
    const m = finding.metrics as ModelInversionMetrics;
    const bad = {
      ...finding,
      metrics: {
        ...m,
        reconstructions: m.reconstructions.map((r, i) =>
          i === 4 && r.image ? { ...r, image: { ...r.image, pixels: r.image.pixels.slice(1) } } : r,
        ),
      },
    } as InversionFinding;
    expect(() => withMiface(bad)).toThrow(/findings\.\d+\.metrics\.reconstructions\.4\.image: pixels must hold/);
  });
});
