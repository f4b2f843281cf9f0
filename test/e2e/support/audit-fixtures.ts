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
