// `privaudit audit`: the engine in-process, no database, no queue. The demo calls this same function, so
// what the demo shows is what a user's own audit does.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { planAudit, runAudit, type AuditRequest } from '../../../libs/engine/src/audit/run-audit';
import { formatFindingsTable } from '../../../libs/engine/src/report/build-report';
import { DEFAULT_MAX_MODEL_BYTES } from '../../../libs/engine/src/targets/onnx-inspection';
import type { AttackId, AuditReport } from '../../../libs/engine/src/types';
import type { CliIo } from './cli-io';
import { InputError, InterruptedError, UsageError } from './cli-errors';
import { createProgressReporter, progressStyleFor } from './progress-reporter';
import { signReport } from '../../../libs/reports/src/index';
import { checkDocumentDestinations, loadSignKeyOption, writeReportDocuments } from './report-command';
import { checkReportDestination, writeFileAtomically } from './report-file';
import { loadPseudonymKeyFile } from './pseudonymize-command';
import {
  type OutboundCommandOptions,
  outboundFromOptions,
  type RemoteTargetCommandOptions,
  remoteTargetSpecFromOptions,
} from './remote-target-options';

/** The engine's own limit, in the unit the option takes. */
export const DEFAULT_MAX_MODEL_MB = DEFAULT_MAX_MODEL_BYTES / (1024 * 1024);

/** `privaudit audit` options after validation; paths as the user typed them (relative to io.cwd). */
export interface AuditCommandOptions {
  /** The ONNX file; exactly one of model and remote. */
  readonly model?: string;
  /** A remote prediction endpoint (--target-url ...); exactly one of model and remote. */
  readonly remote?: RemoteTargetCommandOptions;
  /** Allow-listed hosts, query budget and ownership token for a remote target. */
  readonly outbound?: OutboundCommandOptions;
  readonly members: string;
  readonly nonMembers: string;
  readonly population?: string;
  readonly label: string;
  readonly idColumn?: string;
  /** Replace every row id in the report by its pseudonym under the key of pseudonymKeyFile. */
  readonly pseudonymizeIds?: boolean;
  readonly pseudonymKeyFile?: string;
  readonly classes?: readonly string[];
  /** Number of classes; required for a labels-only model (class-index output) unless --classes names them. */
  readonly numClasses?: number;
  readonly groupColumn?: string;
  /** A preprocessing spec (JSON) that encodes raw CSV tables into the model's inputs (docs/preprocessing.md). */
  readonly preprocessing?: string;
  readonly attacks?: readonly AttackId[];
  /** inversion.attribute: the sensitive column whose value is inferred (a raw column with --preprocessing). */
  readonly sensitiveColumn?: string;
  /** The most rows the inversion attacks may send the target. */
  readonly inversionQueries?: number;
  /** inversion.miface: directory for one reconstruction per class (CSV, and PNG for image-shaped inputs). */
  readonly inversionOut?: string;
  /** inversion.miface: reconstructions per class (different start points). */
  readonly inversionRestarts?: number;
  /** What-if: audit as if the API answered 'labels', 'top-k:<k>' or 'round:<d>' (see docs/cli.md). */
  readonly outputPolicy?: string;
  /** Queries each extraction attack may send (and each what-if re-run). */
  readonly queryBudget?: number;
  /** Price of one query, for extraction findings' attacker cost. */
  readonly queryPrice?: number;
  /** Re-run extraction attacks under top-1 / top-3 / rounded / labels-only answers. */
  readonly extractionWhatIf?: boolean;
  readonly knockoffStrategy?: 'random' | 'adaptive';
  /** Where to write the stolen surrogate (ONNX) with the highest fidelity. */
  readonly surrogateOut?: string;
  readonly referenceModels?: number;
  /** How reference models are trained; should match how the target was trained (see docs/cli.md). */
  /** A number of epochs, or 'auto' (the default): until each fits as tightly as the target fits the members. */
  readonly referenceEpochs?: number | 'auto';
  readonly referenceLearningRate?: number;
  readonly referenceBatchSize?: number;
  readonly referenceL2?: number;
  /** The target's training-set size, when the members are only part of it; default the member count. */
  readonly targetTrainSize?: number;
  /** Identical records under different ids: 'exclude' (default) or 'keep' (see docs/cli.md). */
  readonly duplicates?: 'exclude' | 'keep';
  /** Reference architecture; default mirrored from the target. */
  readonly referenceHidden?: readonly number[];
  readonly referenceActivation?: 'relu' | 'tanh' | 'sigmoid';
  readonly seed?: number;
  readonly topExposed?: number;
  readonly maxModelMb?: number;
  /** Directory where trained reference models are cached and reused across audits. */
  readonly referenceCache?: string;
  /** Refuse before training when the estimated reference-model training time is above this. */
  readonly maxReferenceSeconds?: number;
  /** Check inputs and print the plan and its cost; train nothing, write no report. */
  readonly dryRun?: boolean;
  /** Where the report goes; required unless dryRun (a dry run writes nothing, but checks it when given). */
  readonly out?: string;
  /** Also render the report as PDF / HTML here, once the JSON is written (libs/reports). */
  readonly pdf?: string;
  readonly html?: string;
  /** Ed25519 private key (PEM): the report JSON is signed (field `signature`), documents get `<file>.sig`. */
  readonly signKey?: string;
  /** No progress output. */
  readonly quiet?: boolean;
  /** Print the report JSON on stdout instead of the findings table. */
  readonly json?: boolean;
}

export interface AuditCommandResult {
  /** Undefined for a dry run. */
  readonly report?: AuditReport;
  /** Absolute path the report was written to (would be, for a dry run; undefined for a dry run without --out). */
  readonly reportPath?: string;
}

export async function runAuditCommand(
  opts: AuditCommandOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<AuditCommandResult> {
  const resolve = (p: string): string => path.resolve(io.cwd, p);
  const maxModelMb = opts.maxModelMb ?? DEFAULT_MAX_MODEL_MB;
  const maxModelBytes = maxModelMb * 1024 * 1024;

  if (opts.model !== undefined && opts.remote !== undefined)
    throw new UsageError('--model and --target-url are mutually exclusive: audit either a model file or an endpoint');
  if (opts.model === undefined && opts.remote === undefined)
    throw new UsageError("one of '--model <file.onnx>' or '--target-url <url>' is required");
  if (opts.model !== undefined) await requireFile('--model', opts.model, resolve(opts.model));
  await requireFile('--members', opts.members, resolve(opts.members));
  await requireFile('--nonmembers', opts.nonMembers, resolve(opts.nonMembers));
  if (opts.population !== undefined) await requireFile('--population', opts.population, resolve(opts.population));
  if (opts.preprocessing !== undefined)
    await requireFile('--preprocessing', opts.preprocessing, resolve(opts.preprocessing));
  const reportPath = opts.out !== undefined ? resolve(opts.out) : undefined;
  if (opts.out !== undefined) await checkReportDestination(resolve(opts.out), opts.out);
  else if (opts.dryRun !== true)
    throw new UsageError('--out <report.json> is required (only --dry-run runs without it)');
  if (opts.surrogateOut !== undefined) {
    if (!opts.attacks?.some((a) => a.startsWith('extraction.'))) {
      throw new UsageError('--surrogate-out needs an extraction attack in --attacks (e.g. extraction.knockoff)');
    }
    await checkReportDestination(resolve(opts.surrogateOut), opts.surrogateOut, '--surrogate-out', 'stolen.onnx');
  }
  await checkDocumentDestinations(opts, io);
  const signKey = await loadSignKeyOption(opts, io);
  const pseudonymKey = await pseudonymKeyOption(opts, io);

  const target = opts.model !== undefined ? { model: await readModel(opts.model, resolve, maxModelMb) } : {};
  const remoteTarget =
    opts.remote !== undefined ? await remoteTargetSpecFromOptions(opts.remote, io.cwd, io.env) : undefined;
  const preprocessing = opts.preprocessing !== undefined ? await readSpec(opts.preprocessing, resolve) : undefined;

  const request: AuditRequest = {
    ...target,
    ...(remoteTarget ? { remoteTarget, outbound: outboundFromOptions(opts.outbound ?? {}) } : {}),
    members: { path: resolve(opts.members), name: opts.members },
    nonMembers: { path: resolve(opts.nonMembers), name: opts.nonMembers },
    population: opts.population !== undefined ? { path: resolve(opts.population), name: opts.population } : undefined,
    labelColumn: opts.label,
    idColumn: opts.idColumn,
    ...(pseudonymKey ? { pseudonymKey } : {}),
    classes: opts.classes ? [...opts.classes] : undefined,
    numClasses: opts.numClasses,
    groupColumn: opts.groupColumn,
    ...(preprocessing ? { preprocessing } : {}),
    attacks: opts.attacks ? [...opts.attacks] : undefined,
    ...(opts.sensitiveColumn !== undefined ? { sensitiveColumn: opts.sensitiveColumn } : {}),
    ...(opts.inversionQueries !== undefined ? { inversionQueryBudget: opts.inversionQueries } : {}),
    ...(opts.inversionOut !== undefined ? { inversionOutDir: resolve(opts.inversionOut) } : {}),
    ...(opts.inversionRestarts !== undefined ? { inversionRestarts: opts.inversionRestarts } : {}),
    outputPolicy: opts.outputPolicy,
    ...(opts.queryBudget !== undefined ? { queryBudget: opts.queryBudget } : {}),
    ...(opts.queryPrice !== undefined ? { queryPrice: opts.queryPrice } : {}),
    ...(opts.extractionWhatIf ? { extractionWhatIf: true } : {}),
    ...(opts.knockoffStrategy !== undefined ? { knockoffStrategy: opts.knockoffStrategy } : {}),
    seed: opts.seed,
    referenceModels: opts.referenceModels,
    topExposed: opts.topExposed,
    maxModelBytes,
    referenceTraining: referenceTraining(opts),
    ...(opts.referenceHidden !== undefined ? { referenceHidden: [...opts.referenceHidden] } : {}),
    ...(opts.referenceActivation !== undefined ? { referenceActivation: opts.referenceActivation } : {}),
    referenceCacheDir: opts.referenceCache !== undefined ? resolve(opts.referenceCache) : undefined,
    maxReferenceSeconds: opts.maxReferenceSeconds,
    ...(opts.targetTrainSize !== undefined ? { targetTrainSize: opts.targetTrainSize } : {}),
    ...(opts.duplicates !== undefined ? { duplicates: opts.duplicates } : {}),
  };

  if (opts.dryRun) {
    const plan = await planAudit(request);
    const sets = plan.referenceModels.map((s) => `${s.k} ${s.mode}`).join(', ') || 'none';
    io.out(
      [
        `attacks: ${plan.attacks.join(', ')}`,
        ...(plan.outputPolicy !== undefined ? [`output policy: ${plan.outputPolicy}`] : []),
        ...(plan.labelsOnly ? ['the target answers labels only: score attacks cannot run'] : []),
        ...(plan.preprocessing
          ? [
              `preprocessing: ${plan.preprocessing.name} encodes ${plan.preprocessing.features} raw columns into ${plan.preprocessing.inputs} model inputs`,
            ]
          : []),
        `reference models: ${sets}`,
        ...(plan.extractionQueries !== undefined
          ? [`extraction queries: at most ${plan.extractionQueries} rows sent to the target`]
          : []),
        ...(plan.referenceFit
          ? [
              `reference training: sets of ${plan.referenceFit.trainSize} rows, ${plan.referenceFit.epochs === 'auto' ? `epochs auto (until each fits as tightly as the target, at most ${plan.referenceFit.maxEpochs ?? '?'})` : `${plan.referenceFit.epochs} epochs`}`,
            ]
          : []),
        `estimated training: ${plan.estimate.modelsToTrain} models, about ${Math.ceil(plan.estimate.estimatedSeconds)} s (upper bound: cached models are not subtracted${plan.referenceFit?.epochs === 'auto' ? ', epochs priced at the cap' : ''})`,
        ...(plan.duplicates
          ? [
              `duplicate records (policy ${plan.duplicates.policy}): ${plan.duplicates.nonMembersMatchingMembers} non-member(s) identical to a member, ${plan.duplicates.populationMatchingAudited} population row(s) identical to an audited record, ${plan.duplicates.withinMembers + plan.duplicates.withinNonMembers + plan.duplicates.withinPopulation} repeats within a file`,
            ]
          : []),
        ...(plan.queries
          ? [
              `queries to the endpoint: at most ${plan.queries.total} (${plan.queries.audited} audited records${plan.queries.perAttack
                .filter((a) => a.queries > 0)
                .map((a) => `, ${a.queries} for ${a.attack}`)
                .join(
                  '',
                )}), budget ${plan.queries.budget}${plan.queries.total > plan.queries.budget ? ': the audit would be refused' : ''}`,
            ]
          : []),
        plan.withinBudget
          ? 'within budget'
          : `over the budget of ${opts.maxReferenceSeconds} s: the audit would be refused`,
        'dry run: inputs checked, nothing trained, no report written',
      ].join('\n') + '\n',
    );
    return { reportPath };
  }
  if (reportPath === undefined) throw new UsageError('--out <report.json> is required'); // checked above; narrows the type

  const progress = createProgressReporter(io, progressStyleFor(io, opts.quiet === true));
  let report: AuditReport;
  // The stolen model with the highest held-out fidelity, written after the report.
  let stolen: { fidelity: number; onnx: Uint8Array } | undefined;
  try {
    report = await runAudit(request, {
      onProgress: progress.onProgress,
      signal,
      ...(opts.surrogateOut !== undefined
        ? {
            onSurrogate: (finding, surrogate) => {
              if (!stolen || finding.metrics.fidelity > stolen.fidelity)
                stolen = { fidelity: finding.metrics.fidelity, onnx: surrogate.onnx };
            },
          }
        : {}),
    });
    if (signKey) report = signReport(report, signKey);
  } catch (e) {
    if (signal?.aborted) throw new InterruptedError('audit interrupted; no report written');
    throw e;
  } finally {
    progress.stop();
  }

  await writeFileAtomically(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  if (opts.surrogateOut !== undefined && stolen) await writeFileAtomically(resolve(opts.surrogateOut), stolen.onnx);
  // The JSON is on disk first: a document that fails to render loses nothing.
  const documents = await writeReportDocuments(report, opts, io, signKey);

  if (opts.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const also = documents.map((p) => `\nAlso written: ${p}`).join('');
    const q = report.config.queries;
    const queries =
      q !== undefined
        ? `\nQueries to the endpoint: ${q.used} used of a budget of ${q.budget}${q.spentBefore > 0 ? ` (${q.spentBefore} spent before)` : ''}, ${q.cacheHits} answered from the cache, ${q.requests} requests`
        : '';
    io.out(`${formatFindingsTable(report).replace(/\n*$/, '')}${queries}\n\nReport written to ${reportPath}${also}\n`);
  }
  return { report, reportPath };
}

function referenceTraining(opts: AuditCommandOptions): AuditRequest['referenceTraining'] {
  const t = {
    ...(opts.referenceEpochs !== undefined && opts.referenceEpochs !== 'auto' ? { epochs: opts.referenceEpochs } : {}),
    ...(opts.referenceLearningRate !== undefined ? { learningRate: opts.referenceLearningRate } : {}),
    ...(opts.referenceBatchSize !== undefined ? { batchSize: opts.referenceBatchSize } : {}),
    ...(opts.referenceL2 !== undefined ? { l2: opts.referenceL2 } : {}),
  };
  return Object.keys(t).length > 0 ? t : undefined;
}

/** Size is checked before reading so an oversized (or hostile) file is never buffered. */
async function readModel(typed: string, resolve: (p: string) => string, maxModelMb: number): Promise<Uint8Array> {
  const modelSize = (await fs.stat(resolve(typed))).size;
  if (modelSize > maxModelMb * 1024 * 1024) {
    throw new InputError(
      `model ${typed} is ${(modelSize / 1024 / 1024).toFixed(1)} MB, over the ${maxModelMb} MB limit (raise it with --max-model-mb)`,
    );
  }
  return new Uint8Array(await fs.readFile(resolve(typed)));
}

/** A spec is a small JSON file; a huge one is a wrong path, refused before it is read. */
const MAX_SPEC_BYTES = 16 * 1024 * 1024;

async function readSpec(typed: string, resolve: (p: string) => string): Promise<{ name: string; data: Uint8Array }> {
  const size = (await fs.stat(resolve(typed))).size;
  if (size > MAX_SPEC_BYTES) {
    throw new InputError(
      `--preprocessing: ${typed} is over ${MAX_SPEC_BYTES / 1024 / 1024} MB, not a preprocessing spec`,
    );
  }
  return { name: path.basename(typed), data: new Uint8Array(await fs.readFile(resolve(typed))) };
}

async function requireFile(option: string, typed: string, absolute: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(absolute);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${option}: file not found: ${typed}`);
    throw new InputError(`${option}: cannot read ${typed} (${code ?? 'unknown error'})`);
  }
  if (!stat.isFile()) throw new InputError(`${option}: ${typed} is not a regular file`);
}

/** --pseudonymize-ids and --pseudonym-key-file go together: one without the other is a usage error. */
async function pseudonymKeyOption(
  opts: Pick<AuditCommandOptions, 'pseudonymizeIds' | 'pseudonymKeyFile'>,
  io: CliIo,
): Promise<Buffer | undefined> {
  if (opts.pseudonymizeIds !== true) {
    if (opts.pseudonymKeyFile !== undefined) {
      throw new UsageError('--pseudonym-key-file applies with --pseudonymize-ids');
    }
    return undefined;
  }
  if (opts.pseudonymKeyFile === undefined) {
    throw new UsageError(
      '--pseudonymize-ids needs --pseudonym-key-file <file> (a key of 64+ hex digits: openssl rand -hex 32 > tenant.key)',
    );
  }
  return loadPseudonymKeyFile('--pseudonym-key-file', opts.pseudonymKeyFile, io);
}
