import { readFileSync } from 'node:fs';
import { DIGITS_CSV } from '../../fixtures/datasets';
import { softmaxMlpOnnx, tinyRandomMlp } from '../../fixtures/onnx-fixtures';

const DIGITS = DIGITS_CSV;

/** Lines of digits.csv (64 pixel features + `digit`): header plus rows [from, to). */
export function digitsCsv(from: number, to: number, opts: { withId?: boolean } = {}): string {
  const lines = readFileSync(process.env.PRIVAUDIT_DIGITS_CSV ?? DIGITS, 'utf8')
    .trim()
    .split('\n');
  const header = lines[0] as string;
  const rows = lines.slice(1 + from, 1 + to);
  if (!opts.withId) return [header, ...rows].join('\n') + '\n';
  return [`row_id,${header}`, ...rows.map((r, i) => `r${from + i},${r}`)].join('\n') + '\n';
}

/** A tiny MLP shaped for digits: 64 features, 10 classes. */
export function digitsModelOnnx(seed = 1): Buffer {
  return Buffer.from(softmaxMlpOnnx(tinyRandomMlp(seed, { nFeatures: 64, hidden: [8], numClasses: 10, scale: 0.2 })));
}

/**
 * A digits model that memorises the given rows (digitsCsv text without ids) and knows nothing else: a first
 * ReLU layer computes |x_i - v_i| for every feature of every memorised row, a second fires (1 - L1 distance) for a
 * row matched exactly, and the output gives that row's label a large logit. Members are answered with near
 * certainty, every other row with a uniform guess: the strongest membership signal there is, built without
 * training (so the service suites need no trainer). Width 2 x 64 x rows.
 */
export function memorisingDigitsModelOnnx(csv: string): Buffer {
  const rows = csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
  const nFeatures = 64;
  const numClasses = 10;
  const n = rows.length;
  const width1 = 2 * nFeatures * n;
  const w1 = new Float32Array(nFeatures * width1);
  const b1 = new Float32Array(width1);
  const w2 = new Float32Array(width1 * n);
  const b2 = new Float32Array(n).fill(1);
  const w3 = new Float32Array(n * numClasses);
  const b3 = new Float32Array(numClasses);
  rows.forEach((row, j) => {
    for (let i = 0; i < nFeatures; i++) {
      const v = row[i] as number;
      const up = (j * nFeatures + i) * 2;
      const down = up + 1;
      w1[i * width1 + up] = 1;
      b1[up] = -v;
      w1[i * width1 + down] = -1;
      b1[down] = v;
      w2[up * n + j] = -1;
      w2[down * n + j] = -1;
    }
    w3[j * numClasses + (row[nFeatures] as number)] = 30;
  });
  return Buffer.from(
    softmaxMlpOnnx({
      architecture: { nFeatures, hidden: [width1, n], numClasses, activation: 'relu' },
      layers: [
        { weights: w1, bias: b1, inputs: nFeatures, outputs: width1 },
        { weights: w2, bias: b2, inputs: width1, outputs: n },
        { weights: w3, bias: b3, inputs: n, outputs: numClasses },
      ],
    }),
  );
}
