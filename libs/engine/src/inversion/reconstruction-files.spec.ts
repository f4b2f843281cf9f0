import { readFileSync } from 'node:fs';
import { PENGUIN_CLASSES, PENGUINS_CSV, penguinsSpec } from '../../../../test/fixtures/penguins';
import { loadLabeledCsv } from '../data/csv-dataset';
import { decodeRawRow, encodePng, imageSide } from './reconstruction-files';
import { PNG } from 'pngjs';

describe('reconstruction files', () => {
  it('reads encoded penguins back as their raw columns (numbers to float32 precision)', async () => {
    const spec = penguinsSpec();
    const ds = await loadLabeledCsv(PENGUINS_CSV, {
      labelColumn: 'species',
      classes: PENGUIN_CLASSES,
      preprocessing: spec,
    });
    const [header, ...rows] = readFileSync(PENGUINS_CSV, 'utf8').trimEnd().split('\n');
    const names = (header as string).split(',');
    for (const r of [0, 1, 150, 300]) {
      const cells = (rows[r] as string).split(',');
      if (cells.includes('NA')) continue;
      const decoded = decodeRawRow(spec, ds.features.subarray(r * ds.nFeatures, (r + 1) * ds.nFeatures));
      spec.rawColumns.forEach((column, i) => {
        const original = cells[names.indexOf(column)] as string;
        const value = decoded[i] as string;
        if (/^-?\d/.test(original)) expect(Number(value)).toBeCloseTo(Number(original), 2);
        else expect(value).toBe(original);
      });
    }
  });

  it('treats only squares of at least 6 x 6 inputs as images, and writes grayscale PNGs', () => {
    expect(imageSide(64)).toBe(8);
    expect(imageSide(16)).toBeUndefined();
    expect(imageSide(15)).toBeUndefined();
    const inputs = Float64Array.from({ length: 64 }, (_, i) => (i % 8) * 2);
    const png = PNG.sync.read(encodePng(inputs, 8, { lower: 0, upper: 14 }));
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(png.data[0]).toBe(0); // first pixel: value 0 -> black
    expect(png.data[(0 * 64 + 63) * 4]).toBe(255); // last column: value 14 -> white
  });
});
