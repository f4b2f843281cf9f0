import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';

/** As many classes as an audit may declare (POST /audits `classes`). */
export const MAX_LABEL_CLASSES = 1000;

/**
 * The distinct values of a string label column, so the rest of an upload can be validated as the audit will
 * read it. Only a check: which name is which class index is the model's, declared with the audit's
 * `classes`, never guessed from the file. Called after inferCsvSchema, so the file is structurally valid CSV.
 */
export async function labelClassNames(path: string, labelColumn: string, fileLabel: string): Promise<string[]> {
  const names = new Set<string>();
  let labelIndex: number | undefined;
  // Same reading options as the engine's CSV loader (trimmed cells, BOM, blank lines skipped).
  const parser = parse({ bom: true, delimiter: ',', trim: true, skip_empty_lines: true });
  const collect = new Writable({
    objectMode: true,
    write: (record: string[], _encoding, done) => {
      if (labelIndex === undefined) {
        labelIndex = record.indexOf(labelColumn);
        return done();
      }
      names.add(record[labelIndex] ?? '');
      if (names.size > MAX_LABEL_CLASSES) {
        return done(
          new EngineError(
            EngineErrorCode.LabelOutOfRange,
            `${fileLabel}: label column '${labelColumn}' has more than ${MAX_LABEL_CLASSES} distinct values; a label column holds the model's classes`,
            { file: fileLabel, column: labelColumn },
          ),
        );
      }
      done();
    },
  });
  await pipeline(createReadStream(path), parser, collect);
  return [...names];
}
