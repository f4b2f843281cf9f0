// Schema validation of every answer, whatever the protocol (zod): the right number of rows, each a vector of
// exactly numClasses finite numbers (probabilities in [0, 1]) or, for labels, a class index in range (or a class
// name when the spec names them). Messages name the host, the row and what is wrong, never the value.

import { z } from 'zod';
import type { OutputKind } from '../../../types';

const scoreRow = (numClasses: number) => z.array(z.number().finite()).length(numClasses);
const labelEntry = z.union([z.number().int(), z.string().min(1), z.array(z.number().int()).length(1)]);

const PROBABILITY_TOLERANCE = 1e-4;

/**
 * Checks the answer's entries for `nRows` rows and writes them into `into` (row-major nRows * numClasses at
 * `offset` rows): scores as given, labels as one-hot rows. Returns a description of the first problem, or
 * undefined when the answer is valid.
 */
export function readAnswerRows(
  rows: readonly unknown[],
  nRows: number,
  numClasses: number,
  output: OutputKind,
  classNames: readonly string[] | undefined,
  into: Float32Array,
  offset: number,
): string | undefined {
  if (rows.length !== nRows) return `${rows.length} answer rows for ${nRows} rows sent`;
  if (output === 'labels') {
    for (let r = 0; r < nRows; r++) {
      const parsed = labelEntry.safeParse(rows[r]);
      if (!parsed.success) return `answer row ${r + 1} is not a class label`;
      const v = Array.isArray(parsed.data) ? (parsed.data[0] as number) : parsed.data;
      const index = typeof v === 'string' ? (classNames?.indexOf(v) ?? -1) : v;
      if (index < 0 || index >= numClasses)
        return `answer row ${r + 1} is not one of the ${numClasses} classes${typeof v === 'string' && classNames === undefined ? ' (class names need --classes or the spec classNames)' : ' (declare the number of classes: --num-classes or the spec numClasses)'}`;
      into[(offset + r) * numClasses + index] = 1;
    }
    return undefined;
  }
  const schema = scoreRow(numClasses);
  for (let r = 0; r < nRows; r++) {
    const parsed = schema.safeParse(rows[r]);
    if (!parsed.success) {
      const row = rows[r];
      if (!Array.isArray(row)) return `answer row ${r + 1} is not an array of class scores`;
      if (row.length !== numClasses)
        return `answer row ${r + 1} holds ${row.length} scores for ${numClasses} classes (declare the number of classes: --num-classes or the spec numClasses)`;
      return `answer row ${r + 1} holds a value that is not a finite number (NaN, Infinity or text)`;
    }
    for (let j = 0; j < numClasses; j++) {
      const v = parsed.data[j] as number;
      if (output === 'probabilities' && (v < -PROBABILITY_TOLERANCE || v > 1 + PROBABILITY_TOLERANCE))
        return `answer row ${r + 1} holds a probability outside [0, 1] (is the output kind logits?)`;
      into[(offset + r) * numClasses + j] = v;
    }
  }
  return undefined;
}
