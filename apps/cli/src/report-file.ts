// Reports (JSON, PDF, HTML) land whole or not at all: written to a temporary file beside the target, flushed, then renamed
// over it (rename is atomic within one directory), so a CI gate never reads half a report.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from './cli-errors';

/** Fails early, before a long audit, when the report could not be written where asked. */
export async function checkReportDestination(
  reportPath: string,
  typed: string,
  option = '--out',
  example = 'report.json',
): Promise<void> {
  const stat = await fs.stat(reportPath).catch(() => undefined);
  if (stat?.isDirectory()) {
    throw new InputError(`${option} ${typed} is a directory; give a file name such as ${path.join(typed, example)}`);
  }
  const dir = path.dirname(reportPath);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, constants.W_OK);
  } catch {
    throw new InputError(`${option} ${typed}: cannot write into directory ${dir}`);
  }
}

/** Report JSON larger than this is not a report (the demo's is about 100 kB). */
const MAX_REPORT_JSON_BYTES = 64 * 1024 * 1024;

/** The text of a report JSON named on the command line; a missing, unreadable or huge file is an InputError. */
export async function readReportJson(option: string, typed: string, absolute: string): Promise<string> {
  const label = option ? `${option}: ` : '';
  let stat;
  try {
    stat = await fs.stat(absolute);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT' ? `${label}file not found: ${typed}` : `${label}cannot read ${typed} (${code ?? 'error'})`,
    );
  }
  if (!stat.isFile()) throw new InputError(`${label}${typed} is not a regular file`);
  if (stat.size > MAX_REPORT_JSON_BYTES) {
    throw new InputError(`${label}${typed} is over ${MAX_REPORT_JSON_BYTES / 1024 / 1024} MB, not a privaudit report`);
  }
  return fs.readFile(absolute, 'utf8');
}

export async function writeFileAtomically(filePath: string, contents: string | Uint8Array): Promise<void> {
  const dir = path.dirname(filePath);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      await (typeof contents === 'string' ? handle.writeFile(contents, 'utf8') : handle.writeFile(contents));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, filePath);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw new InputError(
      `cannot write the report to ${filePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}
