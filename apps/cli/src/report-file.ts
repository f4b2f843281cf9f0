// The report lands whole or not at all: written to a temporary file beside the target, flushed, then renamed
// over it (rename is atomic within one directory), so a CI gate never reads half a report.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from './cli-errors';

/** Fails early, before a long audit, when the report could not be written where asked. */
export async function checkReportDestination(reportPath: string, typed: string): Promise<void> {
  const stat = await fs.stat(reportPath).catch(() => undefined);
  if (stat?.isDirectory()) {
    throw new InputError(`--out ${typed} is a directory; give a file name such as ${path.join(typed, 'report.json')}`);
  }
  const dir = path.dirname(reportPath);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, constants.W_OK);
  } catch {
    throw new InputError(`--out ${typed}: cannot write into directory ${dir}`);
  }
}

export async function writeFileAtomically(filePath: string, contents: string): Promise<void> {
  const dir = path.dirname(filePath);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(contents, 'utf8');
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
