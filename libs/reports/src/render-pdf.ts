// Lays the report document out as an A4 PDF with pdfkit; charts are drawn from their SVG as vectors by
// svg-to-pdfkit. Reproducible: the document's dates are the report's createdAt and pdfkit derives the file
// ID from the info dictionary alone, so the same report JSON gives the same bytes. Only the standard PDF
// fonts are used (nothing embedded, nothing read from the machine), and everything is black, white and
// grey: legible when printed in black and white.
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import type { AuditReport } from '../../engine/src/types';
import type { Block, ReportDocument, TableColumn } from './document-model';
import { drawImageGrid } from './reconstruction-grid';
import { buildReportDocument } from './report-document';

type Doc = PDFKit.PDFDocument;

const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = { top: 72, bottom: 72, left: 64, right: 64 };
const TEXT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const BOTTOM = PAGE.height - MARGIN.bottom;

const FONT = { body: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique', mono: 'Courier' };
const SIZE = { body: 9.5, small: 8, table: 8, h1: 17, h2: 12.5, h3: 10.5 };
const INK = '#000000';
const MUTED = '#444444';
const RULE = '#888888';
const SHADE = '#e6e6e6';

export async function renderReportPdf(report: AuditReport): Promise<Buffer> {
  return renderDocumentPdf(await buildReportDocument(report));
}

export function renderDocumentPdf(document: ReportDocument): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    autoFirstPage: true,
    pdfVersion: '1.7',
    info: {
      Title: document.title,
      Author: 'privaudit',
      Subject: 'Membership-inference privacy audit',
      Creator: 'privaudit',
      Producer: 'privaudit (pdfkit)',
      CreationDate: document.createdAt,
      ModDate: document.createdAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const contentsTop = drawCover(doc, document);
  const sections: Section[] = [];
  document.blocks.forEach((block, i) => drawBlock(doc, block, sections, document.blocks[i + 1]));
  drawContents(doc, sections, contentsTop);
  drawRunningTexts(doc, document);
  doc.end();
  return done;
}

/** A top-level heading and the page it landed on (0-based), for the contents and the PDF outline. */
interface Section {
  readonly title: string;
  readonly page: number;
}

/** Draws the cover; returns where on it the contents can go. */
function drawCover(doc: Doc, document: ReportDocument): number {
  const c = document.cover;
  doc
    .font(FONT.bold)
    .fontSize(10)
    .fillColor(MUTED)
    .text('PRIVAUDIT', MARGIN.left, MARGIN.top + 10, { characterSpacing: 2 });
  doc.moveDown(5);
  doc.font(FONT.bold).fontSize(28).fillColor(INK).text(c.title, { width: TEXT_WIDTH });
  doc.moveDown(0.4);
  doc.font(FONT.body).fontSize(13).fillColor(MUTED).text(c.subtitle, { width: TEXT_WIDTH });
  doc.moveDown(2.5);

  // The rating box: thick black frame, the rating in large capitals; readable on any printer.
  const boxY = doc.y;
  const boxH = 92;
  doc.lineWidth(2.5).strokeColor(INK).rect(MARGIN.left, boxY, TEXT_WIDTH, boxH).stroke();
  doc
    .font(FONT.body)
    .fontSize(10)
    .fillColor(MUTED)
    .text('RISK RATING', MARGIN.left + 18, boxY + 16, { characterSpacing: 1.5 });
  doc
    .font(FONT.bold)
    .fontSize(34)
    .fillColor(INK)
    .text(c.rating.toUpperCase(), MARGIN.left + 18, boxY + 34);
  doc
    .font(FONT.body)
    .fontSize(11)
    .fillColor(INK)
    .text(`score ${c.score} / 100`, MARGIN.left + TEXT_WIDTH / 2, boxY + 48, {
      width: TEXT_WIDTH / 2 - 18,
      align: 'right',
    });
  doc.x = MARGIN.left;
  doc.y = boxY + boxH + 14;
  doc.font(FONT.body).fontSize(10).fillColor(INK).text(c.statement, MARGIN.left, doc.y, { width: TEXT_WIDTH });
  doc.moveDown(2.5);
  drawFacts(doc, c.facts, false);
  const contentsTop = doc.y + 10;
  doc
    .font(FONT.italic)
    .fontSize(SIZE.small)
    .fillColor(MUTED)
    .text(
      'Confidential: this report names training records by id only and contains no record values. It describes one model, identified by its sha256 above.',
      MARGIN.left,
      BOTTOM - 30,
      { width: TEXT_WIDTH },
    );
  return contentsTop;
}

/** Contents on the cover, filled in once every section's page is known (when they fit above the footnote). */
function drawContents(doc: Doc, sections: readonly Section[], top: number): void {
  const lineHeight = 12.5;
  if (sections.length === 0 || top + 18 + sections.length * lineHeight > BOTTOM - 44) return;
  doc.switchToPage(0);
  doc.font(FONT.bold).fontSize(10).fillColor(INK).text('Contents', MARGIN.left, top, { width: TEXT_WIDTH });
  let y = top + 16;
  for (const section of sections) {
    doc.font(FONT.body).fontSize(9).fillColor(INK);
    doc.text(section.title, MARGIN.left, y, { width: TEXT_WIDTH - 40, lineBreak: false, ellipsis: true });
    doc.text(String(section.page + 1), MARGIN.left + TEXT_WIDTH - 40, y, {
      width: 40,
      align: 'right',
      lineBreak: false,
    });
    y += lineHeight;
  }
}

function drawBlock(doc: Doc, block: Block, sections: Section[], next: Block | undefined): void {
  switch (block.kind) {
    case 'heading':
      // A heading right above a chart goes to the next page with it when the chart does not fit below it.
      if (block.pageBreak !== true && next?.kind === 'chart') {
        doc.font(FONT.italic).fontSize(SIZE.small);
        const caption = doc.heightOfString(next.caption, { width: TEXT_WIDTH });
        ensureSpace(doc, chartSize(next).height + caption + 16 + 50);
      }
      drawHeading(doc, block.text, block.level, block.pageBreak === true);
      if (block.level === 1) {
        sections.push({ title: block.text, page: doc.bufferedPageRange().count - 1 });
        // PDF bookmarks: a reader's side panel lists the sections.
        doc.outline.addItem(block.text);
      }
      return;
    case 'paragraph': {
      const font = block.emphasis === 'note' ? FONT.italic : block.emphasis === 'lead' ? FONT.bold : FONT.body;
      const size = block.emphasis === 'note' ? SIZE.small : SIZE.body;
      doc
        .font(font)
        .fontSize(size)
        .fillColor(block.emphasis === 'note' ? MUTED : INK);
      doc.text(block.text, MARGIN.left, doc.y, { width: TEXT_WIDTH, lineGap: 2 });
      doc.moveDown(0.6);
      return;
    }
    case 'bullets':
      doc.font(FONT.body).fontSize(SIZE.body).fillColor(INK);
      for (const item of block.items) {
        ensureSpace(doc, doc.heightOfString(item, { width: TEXT_WIDTH - 14 }) + 4);
        const y = doc.y;
        doc.text('-', MARGIN.left + 2, y, { width: 10, lineBreak: false });
        doc.text(item, MARGIN.left + 14, y, { width: TEXT_WIDTH - 14, lineGap: 2 });
        doc.moveDown(0.3);
      }
      doc.moveDown(0.4);
      return;
    case 'facts':
      return drawFacts(doc, block.rows, block.mono === true);
    case 'table':
      return drawTable(doc, block.columns, block.rows, block.caption);
    case 'chart': {
      const { width: w, height: h } = chartSize(block);
      doc.font(FONT.italic).fontSize(SIZE.small);
      ensureSpace(doc, h + doc.heightOfString(block.caption, { width: TEXT_WIDTH }) + 16);
      const x = MARGIN.left + (TEXT_WIDTH - w) / 2;
      // The root's own width and height attributes win over the options: set them to the size laid out.
      const svg = block.svg.replace(
        /^<svg([^>]*?) width="[\d.]+" height="[\d.]+"/,
        `<svg$1 width="${w}" height="${h}"`,
      );
      SVGtoPDF(doc, svg, x, doc.y, { width: w, height: h, assumePt: true });
      doc.y += h + 6;
      doc.font(FONT.italic).fontSize(SIZE.small).fillColor(MUTED);
      doc.text(block.caption, MARGIN.left, doc.y, { width: TEXT_WIDTH, lineGap: 1 });
      doc.moveDown(0.8);
      return;
    }
    case 'code': {
      doc.font(FONT.mono).fontSize(7.5);
      const h = doc.heightOfString(block.text, { width: TEXT_WIDTH - 16 }) + 14;
      ensureSpace(doc, h);
      const y = doc.y;
      doc.lineWidth(0.5).strokeColor(RULE).rect(MARGIN.left, y, TEXT_WIDTH, h).stroke();
      doc.fillColor(INK).text(block.text, MARGIN.left + 8, y + 7, { width: TEXT_WIDTH - 16 });
      doc.x = MARGIN.left;
      doc.y = y + h + 8;
      return;
    }
    case 'imageGrid':
      return drawImageGrid(doc, block, {
        left: MARGIN.left,
        width: TEXT_WIDTH,
        ensureSpace: (h) => ensureSpace(doc, h),
        fonts: FONT,
        colours: { ink: INK, muted: MUTED, rule: RULE },
      });
    default: {
      const unreachable: never = block;
      throw new Error(`unknown block ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The size a chart is laid out at: vega's SVG carries axes and padding beyond width x height, so its viewBox. */
function chartSize(block: Extract<Block, { kind: 'chart' }>): { width: number; height: number } {
  const box = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(block.svg);
  const width = Math.min(TEXT_WIDTH * 0.85, box ? Number(box[1]) : block.width);
  return { width, height: (box ? Number(box[2]) / Number(box[1]) : block.height / block.width) * width };
}

function drawHeading(doc: Doc, text: string, level: 1 | 2 | 3, pageBreak: boolean): void {
  const size = level === 1 ? SIZE.h1 : level === 2 ? SIZE.h2 : SIZE.h3;
  if (pageBreak) doc.addPage();
  else {
    // Keep a heading with what follows it; a section heading also gets air above it.
    ensureSpace(doc, size * 2 + 60 + (level === 1 ? 20 : 0));
    if (level === 1 && doc.y > MARGIN.top + 1) doc.moveDown(1.2);
  }
  if (level === 1) {
    doc.font(FONT.bold).fontSize(size).fillColor(INK).text(text, MARGIN.left, doc.y, { width: TEXT_WIDTH });
    const y = doc.y + 3;
    doc
      .lineWidth(1.2)
      .strokeColor(INK)
      .moveTo(MARGIN.left, y)
      .lineTo(MARGIN.left + TEXT_WIDTH, y)
      .stroke();
    doc.y = y + 12;
  } else {
    doc.moveDown(level === 2 ? 0.6 : 0.3);
    doc.font(FONT.bold).fontSize(size).fillColor(INK).text(text, MARGIN.left, doc.y, { width: TEXT_WIDTH });
    doc.moveDown(0.35);
  }
}

function drawFacts(doc: Doc, rows: ReadonlyArray<readonly [string, string]>, mono: boolean): void {
  const labelWidth = TEXT_WIDTH * 0.3;
  const valueWidth = TEXT_WIDTH - labelWidth - 8;
  for (const [label, value] of rows) {
    // A hash is set in a fixed-width font small enough to stay on one line.
    const fixed = mono || /^[0-9a-f]{64}$/.test(value);
    doc.font(fixed ? FONT.mono : FONT.body).fontSize(fixed ? 8 : SIZE.body);
    const h = Math.max(
      doc.heightOfString(value, { width: valueWidth }),
      doc.font(FONT.bold).fontSize(SIZE.body).heightOfString(label, { width: labelWidth }),
    );
    ensureSpace(doc, h + 6);
    const y = doc.y;
    doc.font(FONT.bold).fontSize(SIZE.body).fillColor(INK).text(label, MARGIN.left, y, { width: labelWidth });
    doc
      .font(fixed ? FONT.mono : FONT.body)
      .fontSize(fixed ? 8 : SIZE.body)
      .text(value, MARGIN.left + labelWidth + 8, y + (fixed ? 1 : 0), { width: valueWidth });
    doc.y = y + h + 3;
    doc
      .lineWidth(0.3)
      .strokeColor(SHADE)
      .moveTo(MARGIN.left, doc.y)
      .lineTo(MARGIN.left + TEXT_WIDTH, doc.y)
      .stroke();
    doc.y += 3;
  }
  doc.x = MARGIN.left;
  doc.moveDown(0.6);
}

function drawTable(
  doc: Doc,
  columns: readonly TableColumn[],
  rows: ReadonlyArray<readonly string[]>,
  caption: string | undefined,
): void {
  const total = columns.reduce((s, c) => s + c.weight, 0);
  const widths = columns.map((c) => (TEXT_WIDTH * c.weight) / total);
  const pad = 4;
  const cellHeight = (cells: readonly string[], header: boolean): number =>
    Math.max(
      ...cells.map((text, i) => {
        const col = columns[i] as TableColumn;
        doc.font(header ? FONT.bold : col.mono ? FONT.mono : FONT.body).fontSize(SIZE.table);
        return doc.heightOfString(text, { width: (widths[i] as number) - 2 * pad });
      }),
    ) +
    2 * pad;
  const drawRow = (cells: readonly string[], header: boolean): void => {
    const h = cellHeight(cells, header);
    const y = doc.y;
    if (header) doc.rect(MARGIN.left, y, TEXT_WIDTH, h).fill(SHADE);
    let x = MARGIN.left;
    cells.forEach((text, i) => {
      const col = columns[i] as TableColumn;
      doc
        .font(header ? FONT.bold : col.mono ? FONT.mono : FONT.body)
        .fontSize(SIZE.table)
        .fillColor(INK)
        .text(text, x + pad, y + pad, { width: (widths[i] as number) - 2 * pad, align: col.align ?? 'left' });
      x += widths[i] as number;
    });
    doc
      .lineWidth(header ? 0.8 : 0.3)
      .strokeColor(header ? INK : RULE)
      .moveTo(MARGIN.left, y + h)
      .lineTo(MARGIN.left + TEXT_WIDTH, y + h)
      .stroke();
    doc.x = MARGIN.left;
    doc.y = y + h;
  };
  const headers = columns.map((c) => c.header);
  ensureSpace(doc, cellHeight(headers, true) + (rows[0] ? cellHeight(rows[0], false) : 0));
  doc
    .lineWidth(0.8)
    .strokeColor(INK)
    .moveTo(MARGIN.left, doc.y)
    .lineTo(MARGIN.left + TEXT_WIDTH, doc.y)
    .stroke();
  drawRow(headers, true);
  for (const row of rows) {
    if (doc.y + cellHeight(row, false) > BOTTOM) {
      doc.addPage();
      drawRow(headers, true);
    }
    drawRow(row, false);
  }
  doc.y += 4;
  if (caption) {
    doc
      .font(FONT.italic)
      .fontSize(SIZE.small)
      .fillColor(MUTED)
      .text(caption, MARGIN.left, doc.y, { width: TEXT_WIDTH });
  }
  doc.moveDown(0.8);
}

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > BOTTOM) doc.addPage();
}

/** Header and "page n of N" footer on every page but the cover, once all pages exist. */
function drawRunningTexts(doc: Doc, document: ReportDocument): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    if (i === range.start) continue;
    doc.switchToPage(i);
    // Writing in the margins must not trigger pdfkit's automatic page break.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font(FONT.body).fontSize(7.5).fillColor(MUTED);
    doc.text(document.runningTitle, MARGIN.left, MARGIN.top - 32, { width: TEXT_WIDTH, lineBreak: false });
    doc
      .lineWidth(0.3)
      .strokeColor(RULE)
      .moveTo(MARGIN.left, MARGIN.top - 20)
      .lineTo(MARGIN.left + TEXT_WIDTH, MARGIN.top - 20)
      .stroke();
    doc.text(`Page ${i + 1} of ${range.count}`, MARGIN.left, PAGE.height - MARGIN.bottom + 30, {
      width: TEXT_WIDTH,
      align: 'right',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottomMargin;
  }
}
