// MI-Face's artefacts: every reconstruction of a class, written so that anyone can check it independently. Always a
// CSV of model inputs, one row per restart (header: the input names, then the class and the restart); for
// image-shaped inputs (a square of at least 6 x 6 inputs, e.g. 8 x 8 digits) also one grayscale PNG per restart,
// upscaled so a person can see it (pngjs, pure JS, no canvas): miface-class-<c>.png for the first restart,
// miface-class-<c>-restart-<r>.png for the others. With a preprocessing spec, also the rows read back as raw
// columns (<name>.raw.csv). File names carry the class index, never a class name. Written atomically (temp file,
// then rename).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { featureInputNames, type PreprocessingSpec } from '../preprocessing/preprocessing-spec';

/** Inputs that form a square image of at least this side are treated as an image. */
export const MIN_IMAGE_SIDE = 6;
const PNG_SCALE = 8;

/** The side of the square image the inputs form, or undefined for tabular inputs. */
export function imageSide(nFeatures: number): number | undefined {
  const side = Math.round(Math.sqrt(nFeatures));
  return side * side === nFeatures && side >= MIN_IMAGE_SIDE ? side : undefined;
}

export interface ClassReconstructionFiles {
  readonly classIndex: number;
  readonly className: string;
  /** The class's reconstructions as model inputs, one per restart. */
  readonly restarts: readonly Float64Array[];
}

/** Writes the CSV (and PNGs) of one class's reconstructions; returns, per restart, the file names holding it. */
export async function writeClassReconstructions(
  dir: string,
  featureNames: readonly string[],
  r: ClassReconstructionFiles,
  pixelRange: { readonly lower: number; readonly upper: number },
  spec?: PreprocessingSpec,
): Promise<string[][]> {
  await fs.mkdir(dir, { recursive: true });
  const base = `miface-class-${r.classIndex}`;
  const csv =
    `${[...featureNames, 'class', 'restart'].map(csvCell).join(',')}\n` +
    r.restarts
      .map(
        (inputs, k) =>
          `${[...Array.from(inputs, (v) => String(Math.fround(v))), csvCell(r.className), String(k)].join(',')}\n`,
      )
      .join('');
  await writeAtomically(path.join(dir, `${base}.csv`), Buffer.from(csv, 'utf8'));
  const shared = [`${base}.csv`];
  if (spec) {
    const table =
      `${[...spec.rawColumns, spec.label.column, 'restart'].map(csvCell).join(',')}\n` +
      r.restarts
        .map((inputs, k) => `${[...decodeRawRow(spec, inputs), r.className].map(csvCell).join(',')},${k}\n`)
        .join('');
    await writeAtomically(path.join(dir, `${base}.raw.csv`), Buffer.from(table, 'utf8'));
    shared.push(`${base}.raw.csv`);
  }
  const files: string[][] = [];
  for (let k = 0; k < r.restarts.length; k++) {
    const inputs = r.restarts[k] as Float64Array;
    const side = imageSide(inputs.length);
    if (side === undefined) {
      files.push([...shared]);
      continue;
    }
    const png = k === 0 ? `${base}.png` : `${base}-restart-${k}.png`;
    await writeAtomically(path.join(dir, png), encodePng(inputs, side, pixelRange));
    files.push([...shared, png]);
  }
  return files;
}

export function encodePng(
  inputs: Float64Array,
  side: number,
  range: { readonly lower: number; readonly upper: number },
): Buffer {
  const size = side * PNG_SCALE;
  const png = new PNG({ width: size, height: size, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const span = range.upper > range.lower ? range.upper - range.lower : 1;
  const data = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = inputs[Math.floor(y / PNG_SCALE) * side + Math.floor(x / PNG_SCALE)] as number;
      data[y * size + x] = Math.round(255 * Math.min(1, Math.max(0, (v - range.lower) / span)));
    }
  }
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/**
 * A reconstruction's model inputs read back as raw columns through the spec: a numeric column un-standardised, an
 * ordinal one to its nearest level, a categorical one to its most active category; a column the model sees only as
 * a missing indicator stays empty.
 */
export function decodeRawRow(spec: PreprocessingSpec, inputs: ArrayLike<number>): string[] {
  const cells = new Map<string, string>();
  let offset = 0;
  for (const f of spec.features) {
    const width = featureInputNames(f).length;
    const at = (j: number) => inputs[offset + j] as number;
    switch (f.type) {
      case 'numeric':
        cells.set(f.column, String(Number((at(0) * f.std + f.mean).toPrecision(6))));
        break;
      case 'ordinal': {
        const index = Math.round(at(0) * f.std + f.mean);
        cells.set(f.column, f.levels[Math.min(f.levels.length - 1, Math.max(0, index))] as string);
        break;
      }
      case 'categorical': {
        let best = 0;
        for (let j = 1; j < f.categories.length; j++) if (at(j) > at(best)) best = j;
        cells.set(f.column, f.categories[best] as string);
        break;
      }
      case 'missing-indicator':
        break;
    }
    offset += width;
  }
  return spec.rawColumns.map((c) => cells.get(c) ?? '');
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, bytes);
  await fs.rename(temp, file);
}
