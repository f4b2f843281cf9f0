// `privaudit report <report.json> --pdf <out.pdf> [--html <out.html>]`: renders any report JSON the CLI or the
// service wrote into the document a privacy officer files. `privaudit audit --pdf/--html` calls the same
// writer once its JSON is on disk.
import type { KeyObject } from 'node:crypto';
import * as path from 'node:path';
import {
  parseAuditReportText,
  ReportInputError,
  renderReportHtml,
  renderReportPdf,
  signDocument,
  SIGNATURE_FILE_SUFFIX,
} from '../../../libs/reports/src/index';
import type { AuditReport } from '../../../libs/engine/src/types';
import type { CliIo } from './cli-io';
import { InputError, UsageError } from './cli-errors';
import { checkReportDestination, readReportJson, writeFileAtomically } from './report-file';
import { loadSigningKeyFile } from './signing-key-file';

export interface ReportDocumentsOptions {
  /** Paths as typed (relative to io.cwd). */
  readonly pdf?: string;
  readonly html?: string;
  /** Ed25519 private key (PEM): each document gets a detached `<file>.sig` beside it. */
  readonly signKey?: string;
}

export interface ReportCommandOptions extends ReportDocumentsOptions {
  readonly report: string;
  readonly quiet?: boolean;
}

/** Fails before any work when a document could not be written where asked. */
export async function checkDocumentDestinations(opts: ReportDocumentsOptions, io: CliIo): Promise<void> {
  if (opts.pdf !== undefined)
    await checkReportDestination(path.resolve(io.cwd, opts.pdf), opts.pdf, '--pdf', 'report.pdf');
  if (opts.html !== undefined)
    await checkReportDestination(path.resolve(io.cwd, opts.html), opts.html, '--html', 'report.html');
}

/** The key of `--sign-key`, read and checked before any work; undefined without the option. */
export async function loadSignKeyOption(opts: ReportDocumentsOptions, io: CliIo): Promise<KeyObject | undefined> {
  return opts.signKey !== undefined ? loadSigningKeyFile('--sign-key', opts.signKey, io) : undefined;
}

/**
 * Renders and writes the requested documents atomically; with a key, each gets its detached signature
 * `<file>.sig`. Returns the absolute paths written.
 */
export async function writeReportDocuments(
  report: AuditReport,
  opts: ReportDocumentsOptions,
  io: CliIo,
  key?: KeyObject,
): Promise<string[]> {
  const written: string[] = [];
  const write = async (typed: string, bytes: Buffer, subject: 'report.pdf' | 'report.html'): Promise<void> => {
    const target = path.resolve(io.cwd, typed);
    await writeFileAtomically(target, bytes);
    written.push(target);
    if (key) {
      const sig = signDocument(bytes, subject, report, key);
      await writeFileAtomically(`${target}${SIGNATURE_FILE_SUFFIX}`, `${JSON.stringify(sig, null, 2)}\n`);
      written.push(`${target}${SIGNATURE_FILE_SUFFIX}`);
    }
  };
  if (opts.pdf !== undefined) await write(opts.pdf, await renderReportPdf(report), 'report.pdf');
  if (opts.html !== undefined)
    await write(opts.html, Buffer.from(await renderReportHtml(report), 'utf8'), 'report.html');
  return written;
}

/** Reads and checks a report JSON named on the command line (one-line InputError otherwise). */
export async function loadReportFile(option: string, typed: string, io: CliIo): Promise<AuditReport> {
  const text = await readReportJson(option, typed, path.resolve(io.cwd, typed));
  try {
    return parseAuditReportText(text, typed);
  } catch (e) {
    if (e instanceof ReportInputError) throw new InputError(option ? `${option}: ${e.message}` : e.message);
    throw e;
  }
}

export async function runReportCommand(opts: ReportCommandOptions, io: CliIo): Promise<void> {
  if (opts.pdf === undefined && opts.html === undefined) {
    throw new UsageError("required option '--pdf <out.pdf>' not specified (or give --html <out.html>)");
  }
  const key = await loadSignKeyOption(opts, io);
  const report = await loadReportFile('', opts.report, io);
  await checkDocumentDestinations(opts, io);
  const written = await writeReportDocuments(report, opts, io, key);
  if (opts.quiet !== true) io.out(written.map((p) => `Written ${p}\n`).join(''));
}
