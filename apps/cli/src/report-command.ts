// `privaudit report <report.json> --pdf <out.pdf> [--html <out.html>]`: renders any report JSON the CLI or the
// service wrote into the document a privacy officer files. `privaudit audit --pdf/--html` calls the same
// writer once its JSON is on disk.
import * as path from 'node:path';
import {
  parseAuditReportText,
  ReportInputError,
  renderReportHtml,
  renderReportPdf,
} from '../../../libs/reports/src/index';
import type { AuditReport } from '../../../libs/engine/src/types';
import type { CliIo } from './cli-io';
import { InputError, UsageError } from './cli-errors';
import { checkReportDestination, readReportJson, writeFileAtomically } from './report-file';

export interface ReportDocumentsOptions {
  /** Paths as typed (relative to io.cwd). */
  readonly pdf?: string;
  readonly html?: string;
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

/** Renders and writes the requested documents atomically; returns the absolute paths written. */
export async function writeReportDocuments(
  report: AuditReport,
  opts: ReportDocumentsOptions,
  io: CliIo,
): Promise<string[]> {
  const written: string[] = [];
  if (opts.pdf !== undefined) {
    const target = path.resolve(io.cwd, opts.pdf);
    await writeFileAtomically(target, await renderReportPdf(report));
    written.push(target);
  }
  if (opts.html !== undefined) {
    const target = path.resolve(io.cwd, opts.html);
    await writeFileAtomically(target, await renderReportHtml(report));
    written.push(target);
  }
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
  const report = await loadReportFile('', opts.report, io);
  await checkDocumentDestinations(opts, io);
  const written = await writeReportDocuments(report, opts, io);
  if (opts.quiet !== true) io.out(written.map((p) => `Written ${p}\n`).join(''));
}
