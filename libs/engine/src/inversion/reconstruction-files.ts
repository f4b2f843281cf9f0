// MI-Face's artefacts: one reconstruction per class, written so that anyone can check it independently. Always a
// CSV row of model inputs (header: the input names, then the class); for image-shaped inputs (a square of at least
// 6 x 6 inputs, e.g. 8 x 8 digits) also a grayscale PNG, upscaled so a person can see it (pngjs, pure JS, no canvas).
// File names carry the class index, never a class name. Written atomically (temp file, then rename).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';

/** Inputs that form a square image of at least this side are treated as an image. */
export const MIN_IMAGE_SIDE = 6;
const PNG_SCALE = 8;

/** The side of the square image the inputs form, or undefined for tabular inputs. */
export function imageSide(nFeatures: number): number | undefined {
  const side = Math.round(Math.sqrt(nFeatures));
  return side * side === nFeatures && side >= MIN_IMAGE_SIDE ? side : undefined;
}

export interface ReconstructionFile {
  readonly classIndex: number;
  readonly className: string;
  readonly inputs: Float64Array;
}

/** Writes the CSV (and PNG) of one reconstruction; returns the file names written. */
export async function writeReconstruction(
  dir: string,
  featureNames: readonly string[],
  r: ReconstructionFile,
  pixelRange: { readonly lower: number; readonly upper: number },
): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const base = `miface-class-${r.classIndex}`;
  const csv =
    `${[...featureNames, 'class'].map(csvCell).join(',')}\n` +
    `${[...Array.from(r.inputs, (v) => String(Math.fround(v))), csvCell(r.className)].join(',')}\n`;
  await writeAtomically(path.join(dir, `${base}.csv`), Buffer.from(csv, 'utf8'));
  const files = [`${base}.csv`];
  const side = imageSide(r.inputs.length);
  if (side !== undefined) {
    await writeAtomically(path.join(dir, `${base}.png`), encodePng(r.inputs, side, pixelRange));
    files.push(`${base}.png`);
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

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, bytes);
  await fs.rename(temp, file);
}
