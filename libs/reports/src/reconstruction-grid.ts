// MI-Face's reconstructions as pictures in the report: one column per class, one row per start point (restart),
// each picture with the class name under it and whether the independent classifier recognised it. The pixels are
// the synthesised reconstruction carried in the report JSON (ClassReconstruction.image), never a real record.
// Drawn as nearest-neighbour-upscaled PNGs (pngjs): an <img> data URI in the HTML page (nothing loaded from
// elsewhere), an embedded image in the PDF (pdfkit), so the pixels stay square in every viewer.
import { PNG } from 'pngjs';
import type { ModelInversionMetrics, ReconstructionImage } from '../../engine/src/types';

export interface ImageGridCell {
  readonly png: Buffer;
  /** Class name. */
  readonly label: string;
  /** Second line under the picture: "recognised: yes" / "recognised: no". */
  readonly note: string;
}

/** A band of classes (columns) by start points (rows); a row with no picture for a class holds null. */
export interface ImageGridBlock {
  readonly kind: 'imageGrid';
  /** Drawn with the first band, so it never stands alone at the foot of a page. */
  readonly title: string;
  readonly rowLabels: readonly string[];
  readonly bands: ReadonlyArray<ReadonlyArray<ReadonlyArray<ImageGridCell | null>>>;
  readonly caption: string;
}

/** Columns (classes) per band, and the most pictures a report draws. */
export const GRID_COLUMNS = 10;
export const GRID_MAX_CELLS = 120;
/** Upscaled PNG side: at least this many pixels, whole multiples of the image's own. */
const MIN_PNG_SIDE = 64;

/** The grid for an MI-Face finding's reconstructions, or nothing when none carries an image. */
export function reconstructionGridBlocks(m: ModelInversionMetrics): ImageGridBlock[] {
  const withImages = m.reconstructions.filter((r) => r.image !== undefined);
  if (withImages.length === 0) return [];
  const restarts = Math.max(...withImages.map((r) => (r.restart ?? 0) + 1));
  const classIndices = [...new Set(withImages.map((r) => r.classIndex))].sort((a, b) => a - b);
  // Too many pictures: keep every class's first reconstruction before any class's second.
  const rowsShown = Math.max(1, Math.min(restarts, Math.floor(GRID_MAX_CELLS / classIndices.length)));
  const classesShown = classIndices.slice(0, GRID_MAX_CELLS);
  const cell = (classIndex: number, restart: number): ImageGridCell | null => {
    const r = withImages.find((x) => x.classIndex === classIndex && (x.restart ?? 0) === restart);
    if (!r?.image) return null;
    return {
      png: encodeUpscaledPng(r.image),
      label: r.className,
      note: `recognised: ${r.recognised ? 'yes' : 'no'}`,
    };
  };
  const bands: (ImageGridCell | null)[][][] = [];
  for (let b = 0; b < classesShown.length; b += GRID_COLUMNS) {
    const columns = classesShown.slice(b, b + GRID_COLUMNS);
    bands.push(Array.from({ length: rowsShown }, (_, restart) => columns.map((c) => cell(c, restart))));
  }
  const omitted = withImages.length - bands.flat(2).filter((c) => c !== null).length;
  const recognised = withImages.filter((r) => r.recognised).length;
  return [
    {
      kind: 'imageGrid',
      title: 'Reconstructed pictures',
      rowLabels: Array.from({ length: rowsShown }, (_, r) =>
        r === 0 ? 'start: population mean' : `start: random population mix ${r}`,
      ),
      bands,
      caption:
        `Synthesised reconstructions (no real record is shown): one column per class, one row per start point. ` +
        `Under each: the class it was optimised for, and whether an independently trained classifier recognised it ` +
        `as that class (${recognised} of ${withImages.length}).` +
        (omitted > 0 ? ` ${omitted} further reconstructions are in the --inversion-out files.` : ''),
    },
  ];
}

/** Grey or RGB 0-255 pixels as a PNG, each pixel an s x s square. Bad dimensions draw a blank picture. */
export function encodeUpscaledPng(image: ReconstructionImage): Buffer {
  const { width, height, channels, pixels } = image;
  const scale = Math.max(1, Math.ceil(MIN_PNG_SIDE / Math.max(width, height)));
  const png = new PNG({
    width: width * scale,
    height: height * scale,
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
  });
  const data = Buffer.alloc(width * scale * height * scale * 3);
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const p = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      for (let k = 0; k < 3; k++) {
        const v = pixels[p + (channels === 3 ? k : 0)];
        data[(y * width * scale + x) * 3 + k] = typeof v === 'number' ? Math.min(255, Math.max(0, Math.round(v))) : 255;
      }
    }
  }
  png.data = data;
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** The grid as an HTML figure (text escaped by `esc`). */
export function imageGridHtml(block: ImageGridBlock, esc: (text: string) => string): string {
  const td = 'style="text-align:center;border:none;padding:.25rem .15rem;font-size:7.5pt;vertical-align:top"';
  const bands = block.bands.map((rows) => {
    const body = rows.map((cells, r) => {
      const label = `<th style="background:none;border:none;font-weight:normal;font-size:7.5pt;color:#444;width:6rem">${esc(block.rowLabels[r] ?? '')}</th>`;
      const pictures = cells.map((c) =>
        c
          ? `<td ${td}><img alt="${esc(`reconstruction of class ${c.label}`)}" src="data:image/png;base64,${c.png.toString('base64')}" style="width:3.2rem;height:3.2rem;image-rendering:pixelated;border:0.5px solid #888"><br><b>${esc(c.label)}</b><br>${esc(c.note)}</td>`
          : `<td ${td}></td>`,
      );
      return `<tr>${label}${pictures.join('')}</tr>`;
    });
    return `<table style="width:auto;margin:.3rem auto">${body.join('')}</table>`;
  });
  return `<h2>${esc(block.title)}</h2><figure>${bands.join('')}<figcaption>${esc(block.caption)}</figcaption></figure>`;
}

/** What drawing the grid in the PDF needs from the renderer. */
export interface PdfGridLayout {
  readonly left: number;
  readonly width: number;
  /** Adds a page when `height` does not fit below doc.y. */
  readonly ensureSpace: (height: number) => void;
  readonly fonts: { readonly body: string; readonly bold: string; readonly italic: string };
  readonly colours: { readonly ink: string; readonly muted: string; readonly rule: string };
}

/** Draws the grid at doc.y, one picture row at a time under its start-point label (a row never splits). */
export function drawImageGrid(doc: PDFKit.PDFDocument, block: ImageGridBlock, layout: PdfGridLayout): void {
  const cellWidth = layout.width / GRID_COLUMNS;
  const picture = Math.min(40, cellWidth - 6);
  const rowHeight = 11 + picture + 24;
  const titleHeight = 24;
  layout.ensureSpace(titleHeight + (block.bands[0]?.length ?? 0) * rowHeight + 4);
  doc.font(layout.fonts.bold).fontSize(12.5).fillColor(layout.colours.ink);
  doc.text(block.title, layout.left, doc.y + 6, { width: layout.width });
  doc.moveDown(0.4);
  block.bands.forEach((rows, b) => {
    // A band that fits on one page starts on a page it fits on.
    if (b > 0) layout.ensureSpace(rows.length * rowHeight + 4);
    rows.forEach((cells, r) => {
      layout.ensureSpace(rowHeight + 4);
      const top = doc.y;
      doc.font(layout.fonts.italic).fontSize(7).fillColor(layout.colours.muted);
      doc.text(block.rowLabels[r] ?? '', layout.left, top, { width: layout.width, lineBreak: false });
      const y = top + 11;
      cells.forEach((c, i) => {
        if (!c) return;
        const x = layout.left + i * cellWidth;
        const px = x + (cellWidth - picture) / 2;
        doc.image(c.png, px, y, { width: picture, height: picture });
        doc.lineWidth(0.5).strokeColor(layout.colours.rule).rect(px, y, picture, picture).stroke();
        doc.font(layout.fonts.bold).fontSize(7).fillColor(layout.colours.ink);
        doc.text(c.label, x, y + picture + 3, { width: cellWidth, align: 'center', lineBreak: false, ellipsis: true });
        // The note shrinks to its cell rather than running into the next one.
        let size = 6.5;
        doc.font(layout.fonts.body).fontSize(size);
        while (size > 4.5 && doc.widthOfString(c.note) > cellWidth - 2) doc.fontSize((size -= 0.25));
        doc.fillColor(layout.colours.ink).text(c.note, x, y + picture + 12, {
          width: cellWidth,
          align: 'center',
          lineBreak: false,
        });
      });
      doc.x = layout.left;
      doc.y = top + rowHeight;
    });
    doc.y += 6;
  });
  doc.font(layout.fonts.italic).fontSize(8).fillColor(layout.colours.muted);
  layout.ensureSpace(doc.heightOfString(block.caption, { width: layout.width }) + 8);
  doc.text(block.caption, layout.left, doc.y, { width: layout.width, lineGap: 1 });
  doc.moveDown(0.8);
}
