// Pseudonymised row ids on the command line (docs/cli.md, "Pseudonymised row ids"): `--pseudonym-key-file` for
// `privaudit audit`, and `privaudit pseudonymize`, with which the key holder maps their own ids to the pseudonyms
// a report shows. Nothing here ever prints or logs the key; messages name the file only.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { isEngineError } from '../../../libs/engine/src/errors';
import { parsePseudonymKey, pseudonymKeyId, pseudonymOf } from '../../../libs/engine/src/data/row-id-pseudonyms';
import type { CliIo } from './cli-io';
import { InputError } from './cli-errors';

const MAX_KEY_FILE_BYTES = 4 * 1024;
const MAX_IDS_FILE_BYTES = 512 * 1024 * 1024;

async function readInputFile(option: string, typed: string, io: CliIo, maxBytes: number): Promise<Buffer> {
  const absolute = path.resolve(io.cwd, typed);
  const stat = await fs.stat(absolute).catch(() => undefined);
  if (!stat) throw new InputError(`${option}: file not found: ${typed}`);
  if (!stat.isFile()) throw new InputError(`${option}: ${typed} is not a file`);
  if (stat.size > maxBytes) throw new InputError(`${option}: ${typed} is larger than ${maxBytes} bytes`);
  return fs.readFile(absolute);
}

/** The key of a key file: hex digits (at least 64), e.g. from `openssl rand -hex 32`. */
export async function loadPseudonymKeyFile(option: string, typed: string, io: CliIo): Promise<Buffer> {
  const text = await readInputFile(option, typed, io, MAX_KEY_FILE_BYTES);
  try {
    return parsePseudonymKey(text.toString('utf8'), `${option} ${typed}`);
  } catch (e) {
    if (isEngineError(e)) throw new InputError(e.message);
    throw e;
  }
}

export interface PseudonymizeCommandOptions {
  readonly keyFile: string;
  /** One id per line, or with idColumn a CSV with a header row (e.g. the members file itself). */
  readonly ids: string;
  readonly idColumn?: string;
}

/** `privaudit pseudonymize`: prints "id,pseudonym" CSV for every id of the file, under the key of the key file. */
export async function runPseudonymizeCommand(opts: PseudonymizeCommandOptions, io: CliIo): Promise<void> {
  const key = await loadPseudonymKeyFile('--key-file', opts.keyFile, io);
  const text = (await readInputFile('--ids', opts.ids, io, MAX_IDS_FILE_BYTES)).toString('utf8');
  const ids = opts.idColumn !== undefined ? idsOfCsvColumn(text, opts.idColumn, opts.ids) : idsOfLines(text);
  io.err(`key ${pseudonymKeyId(key)}: ${ids.length} id(s)\n`);
  const lines = ['id,pseudonym', ...ids.map((id) => `${csvField(id)},${pseudonymOf(key, id)}`)];
  io.out(`${lines.join('\n')}\n`);
}

function idsOfLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line !== '');
}

function idsOfCsvColumn(text: string, column: string, fileLabel: string): string[] {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: false }) as string[][];
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw new InputError(
      `--ids ${fileLabel}: not a well-formed CSV${line !== undefined ? ` (near line ${line})` : ''}`,
    );
  }
  const header = rows[0];
  if (!header) throw new InputError(`--ids ${fileLabel}: the file is empty`);
  const index = header.indexOf(column);
  if (index < 0) throw new InputError(`--id-column: no column '${column}' in ${fileLabel}`);
  return rows.slice(1).map((row) => row[index] as string);
}

/** RFC 4180 quoting when a field needs it. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
