// `privaudit` command line: parses arguments with commander and hands typed options to the command
// handlers. Every outcome is an exit code; every failure is one line on stderr.
import { runPseudonymizeCommand } from './pseudonymize-command';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isEngineError } from '../../../libs/engine/src/errors';
import { DEFAULT_ATTACKS } from '../../../libs/engine/src/membership/attack-registry';
import { formatOutputPolicy, parseOutputPolicy } from '../../../libs/engine/src/targets/output-policy';
import { DEFAULT_QUERY_BUDGET } from '../../../libs/engine/src/targets/http/outbound-policy';
import { REMOTE_PROTOCOLS } from '../../../libs/engine/src/targets/http/remote-target-spec';
import type { AttackId } from '../../../libs/engine/src/types';
import { DEFAULT_MAX_MODEL_MB, runAuditCommand } from './audit-command';
import { processIo, type CliIo } from './cli-io';
import { EXIT_OK, EXIT_USAGE, reportError, UsageError } from './cli-errors';
import { DEFAULT_DEMO_WORKDIR, runDemoCommand } from './demo-command';
import { DEFAULT_MAX_RISE, runGateCommand } from './gate-command';
import { runReportCommand } from './report-command';
import { runVerifyCommand } from './verify-command';
import {
  KNOWN_ATTACKS,
  parseAttackList,
  parseCommaList,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parsePositiveNumber,
  parseHiddenLayers,
  parseActivation,
  parseDuplicatePolicyOption,
  parseNonNegativeNumber,
  parseKnockoffStrategy,
  parseReferenceEpochs,
  parseSeed,
  parseMaxRise,
} from './option-parsers';
import { privauditPackage } from './package-root';

const AUDIT_EXAMPLES = `
Examples:
  $ privaudit audit --model model.onnx --members train.csv --nonmembers holdout.csv \\
      --label diagnosis --out report.json
  $ privaudit audit --model model.onnx --members train.csv --nonmembers holdout.csv \\
      --population extra.csv --label digit --id-column id \\
      --attacks membership.loss,membership.rmia --reference-models 4 --seed 7 --out report.json
  $ privaudit audit --model model.onnx --members train.csv --nonmembers holdout.csv \\
      --label diagnosis --output-policy round:1 --out report-round1.json
  $ privaudit audit --model penguins.onnx --members raw-train.csv --nonmembers raw-holdout.csv \\
      --label species --preprocessing penguins.preprocessing.json --out report.json
  $ privaudit audit --target-url https://models.example.com --target-protocol kserve-v2 \\
      --target-model-name churn --target-header "Authorization: Bearer $TOKEN" --ownership-token "$PROOF" \\
      --members train.csv --nonmembers holdout.csv --label churned --query-budget 20000 --out report.json

Exit codes: 0 audit completed, 1 input, model or audit error, 2 usage error, 130 interrupted.
`;

const REPORT_EXAMPLES = `
Examples:
  $ privaudit report report.json --pdf report.pdf
  $ privaudit report report.json --pdf report.pdf --html report.html

Exit codes: 0 written, 1 the file is missing or not a privaudit report (schemaVersion 1), 2 usage error.
`;

const GATE_EXAMPLES = `
Examples:
  $ privaudit gate --baseline release-1.json --candidate release-2.json
  $ privaudit gate --baseline release-1.json --candidate release-2.json --max-rise 5

Exit codes: 0 passed, 1 a report is missing or invalid, 2 usage error, 3 the risk rose beyond --max-rise.
`;

const VERIFY_EXAMPLES = `
A report JSON carries its signature inside (field "signature"); a PDF or HTML document is signed by the
detached <file>.sig written beside it (privaudit audit/report --sign-key, or GET /audits/:id/report.pdf.sig).

Examples:
  $ privaudit verify report.json --public-key privaudit-signing.pub.pem
  $ privaudit verify report.pdf                       checks report.pdf against report.pdf.sig
  $ privaudit verify report.pdf --signature downloaded.sig --public-key service.pub.pem

Exit codes: 0 valid, 1 a file is missing or a key file is invalid, 2 usage error,
            4 not valid: changed after signing, unsigned, or signed by another key (the reason on one line).
`;

const PROGRAM_EXAMPLES = `
Examples:
  $ privaudit demo                    train a deliberately overfit model on bundled data and audit it
  $ privaudit audit --help            all audit options
  $ privaudit audit --model model.onnx --members train.csv --nonmembers holdout.csv \\
      --label label --out report.json --pdf report.pdf
  $ privaudit report report.json --pdf report.pdf      the PDF to file with a DPIA
  $ privaudit gate --baseline old.json --candidate new.json --max-rise 5
  $ privaudit verify report.json --public-key signing.pub.pem   unchanged since signed?

Guide: docs/cli.md
`;

interface RawAuditOptions {
  model?: string;
  targetUrl?: string;
  targetProtocol?: string;
  targetHeader?: string[];
  targetHeaderFromEnv?: string[];
  targetOutput?: string;
  targetModelName?: string;
  targetInputName?: string;
  targetJsonTemplate?: string;
  targetJsonResponsePath?: string;
  targetBatchSize?: number;
  allowHost?: string[];
  queryBudget?: number;
  ownershipToken?: string;
  members: string;
  nonmembers: string;
  population?: string;
  label: string;
  idColumn?: string;
  pseudonymizeIds?: boolean;
  pseudonymKeyFile?: string;
  classes?: string[];
  numClasses?: number;
  groupColumn?: string;
  preprocessing?: string;
  attacks?: AttackId[];
  sensitiveColumn?: string;
  inversionQueries?: number;
  inversionOut?: string;
  inversionRestarts?: number;
  outputPolicy?: string;
  queryPrice?: number;
  extractionWhatIf?: boolean;
  knockoffStrategy?: 'random' | 'adaptive';
  surrogateOut?: string;
  referenceModels?: number;
  referenceEpochs?: number | 'auto';
  referenceLearningRate?: number;
  referenceBatchSize?: number;
  referenceL2?: number;
  referenceHidden?: number[];
  referenceActivation?: 'relu' | 'tanh' | 'sigmoid';
  targetTrainSize?: number;
  duplicates?: 'exclude' | 'keep';
  seed?: number;
  topExposed?: number;
  maxModelMb?: number;
  referenceCache?: string;
  maxReferenceSeconds?: number;
  dryRun?: boolean;
  /** Required unless --dry-run: checked in the action, since commander cannot make one option depend on another. */
  out?: string;
  pdf?: string;
  html?: string;
  signKey?: string;
  quiet?: boolean;
  json?: boolean;
}

interface RawDemoOptions {
  workdir: string;
  seed: number;
  quiet?: boolean;
}

/**
 * Runs the CLI. `argv` is process.argv-shaped: [node, script, ...arguments].
 * Resolves to the exit code; never rejects and never calls process.exit.
 */
export async function main(argv: string[], givenIo?: CliIo): Promise<number> {
  // Without an injected io this is the real process: Ctrl-C then aborts the audit cleanly (a second Ctrl-C,
  // with the listener gone, kills the process as usual).
  const ownsProcess = givenIo === undefined;
  const io = givenIo ?? processIo();
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  if (ownsProcess) process.once('SIGINT', onSigint);
  try {
    let exitCode = EXIT_OK;
    const program = buildProgram(io, interrupt.signal, (code) => (exitCode = code));
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(io, e);
    return reportError(io, e);
  } finally {
    if (ownsProcess) process.removeListener('SIGINT', onSigint);
  }
}

/** The first remote-target option given without --target-url, if any. */
function remoteOnlyOptions(raw: RawAuditOptions): string | undefined {
  const given: Array<[string, boolean]> = [
    ['--target-protocol', raw.targetProtocol !== undefined],
    ['--target-header', (raw.targetHeader?.length ?? 0) > 0],
    ['--target-header-from-env', (raw.targetHeaderFromEnv?.length ?? 0) > 0],
    ['--target-output', raw.targetOutput !== undefined],
    ['--target-model-name', raw.targetModelName !== undefined],
    ['--target-input-name', raw.targetInputName !== undefined],
    ['--target-json-template', raw.targetJsonTemplate !== undefined],
    ['--target-json-response-path', raw.targetJsonResponsePath !== undefined],
    ['--target-batch-size', raw.targetBatchSize !== undefined],
    ['--allow-host', (raw.allowHost?.length ?? 0) > 0],
    ['--ownership-token', raw.ownershipToken !== undefined],
  ];
  return given.find(([, present]) => present)?.[0];
}

/** Commander's accumulator for a repeatable option. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Checked here so a bad policy is a usage error (exit 2); passed on in canonical form. */
function parseOutputPolicyOption(value: string): string {
  try {
    return formatOutputPolicy(parseOutputPolicy(value));
  } catch (e) {
    if (isEngineError(e)) throw new InvalidArgumentError(`${e.message}.`);
    throw e;
  }
}

/** Worded as commander words a missing required option, which --out was until --dry-run went without it. */
function missingOutOption(): UsageError {
  return new UsageError("required option '--out <report.json>' not specified (only --dry-run runs without it)");
}

function commanderExit(io: CliIo, e: CommanderError): number {
  // --help and --version end parsing through the same exception path, successfully.
  if (e.exitCode === 0) return EXIT_OK;
  const message =
    e.code === 'commander.help' ? 'no command given; run `privaudit --help`' : e.message.replace(/^error:\s*/, '');
  reportError(io, new Error(message));
  return EXIT_USAGE;
}

export function buildProgram(io: CliIo, signal: AbortSignal, setExitCode: (code: number) => void): Command {
  const program = new Command('privaudit');
  // Set before subcommands are added: they inherit output and exit handling.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      // Commander's own error text is replaced by one `privaudit: error:` line in commanderExit.
      writeErr: () => undefined,
      outputError: () => undefined,
    })
    .description(
      'Privacy-attack auditing for machine-learning models: how much does the model leak about its training data?',
    )
    .version(privauditPackage().version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', PROGRAM_EXAMPLES);

  program
    .command('audit')
    .description(
      'audit an ONNX model, or a remote prediction endpoint, with membership-inference, model-inversion and extraction attacks and write a JSON report',
    )
    .option(
      '--model <file.onnx>',
      'the target model (ONNX: float input [batch, features], class scores out); or --target-url',
    )
    .option(
      '--target-url <url>',
      'audit a remote prediction endpoint instead of a model file (https; see docs/remote-targets.md)',
    )
    .option('--target-protocol <protocol>', `the endpoint's protocol: ${REMOTE_PROTOCOLS.join('|')}`)
    .option(
      '--target-header <"Name: value">',
      'a header sent with every request, e.g. "Authorization: Bearer ..." (repeatable; values are never printed)',
      collect,
    )
    .option(
      '--target-header-from-env <"Name: VARIABLE">',
      'a header whose value is read from an environment variable, so the secret stays out of the process list (repeatable)',
      collect,
    )
    .option('--target-output <kind>', 'what the endpoint answers: probabilities (default), logits or labels')
    .option('--target-model-name <name>', 'kserve-v2 / tf-serving: the served model name (unless in the URL)')
    .option('--target-input-name <name>', "kserve-v2: the input tensor's name (default 'input')")
    .option(
      '--target-json-template <json|@file>',
      'json protocol: the request body with "$rows" (the batch) or "$row" (one row) where the features go',
    )
    .option(
      '--target-json-response-path <path>',
      'json protocol: dot path to the per-row answers, e.g. predictions or outputs.0.data',
    )
    .option('--target-batch-size <n>', 'rows per request (default per protocol)', parsePositiveInteger)
    .option(
      '--allow-host <host>',
      'trust this host: plain http, any address (loopback, private) and no ownership proof (repeatable)',
      collect,
    )
    .option(
      '--query-budget <n>',
      `rows the audit may send the target. A remote endpoint: the hard cap on every row sent (default ${DEFAULT_QUERY_BUDGET}), refused before any query when the plan needs more; the extraction attacks share what the other attacks leave. A model file: what each extraction attack (and each --extraction-what-if re-run) may send (default 10000)`,
      parsePositiveInteger,
    )
    .option(
      '--ownership-token <token>',
      'proof of control of a host that is not allow-listed: served at <origin>/.well-known/privaudit-verification/<first 32 hex of sha256(token)>',
    )
    .requiredOption('--members <csv>', 'records the model was trained on')
    .requiredOption('--nonmembers <csv>', 'records from the same distribution the model never saw')
    .option('--population <csv>', 'further same-distribution records for reference/shadow models')
    .requiredOption('--label <column>', 'the label column')
    .option('--id-column <column>', 'row-id column; exposed records are reported by this id (default: data row number)')
    .option(
      '--pseudonymize-ids',
      'replace every row id in the report by "ps_" + 32 hex digits of HMAC-SHA256(key, id) (needs --pseudonym-key-file)',
    )
    .option(
      '--pseudonym-key-file <file>',
      'the pseudonym key: at least 64 hex digits (openssl rand -hex 32); map ids with `privaudit pseudonymize`',
    )
    .option('--classes <list>', 'class names in class-index order, when labels are strings', parseCommaList)
    .option(
      '--num-classes <n>',
      'number of classes; required for a labels-only model (class-index output) unless --classes names them',
      parsePositiveInteger,
    )
    .option(
      '--group-column <column>',
      'declared sensitive column: kept out of the features, leakage reported per group',
    )
    .option(
      '--preprocessing <spec.json>',
      'the CSVs are raw tables (string categories, missing cells): encode them into the model inputs with this spec (docs/preprocessing.md)',
    )
    .option(
      '--attacks <list>',
      `comma-separated attack ids (known: ${KNOWN_ATTACKS.join(', ')}; default: ${DEFAULT_ATTACKS.join(',')}, plus membership.rmia with --population)`,
      parseAttackList,
    )
    .option(
      '--sensitive-column <column>',
      'inversion.attribute: the sensitive column whose value is inferred (a raw column of --preprocessing, or a model input column)',
    )
    .option(
      '--inversion-queries <n>',
      'the most rows the inversion attacks may send the target (one row = one query)',
      parsePositiveInteger,
    )
    .option(
      '--inversion-out <dir>',
      'inversion.miface: write every reconstruction here (per class a CSV with one row of model inputs per restart; a PNG per reconstruction for image-shaped inputs)',
    )
    .option(
      '--inversion-restarts <n>',
      'inversion.miface: reconstructions per class from different population start points (1-50, default 3); intervals are clustered by class',
      parsePositiveInteger,
    )
    .option(
      '--output-policy <policy>',
      "what-if: audit as if the API answered only 'labels', the 'top-k:<k>' probabilities, or probabilities rounded ('round:<d>' decimals)",
      parseOutputPolicyOption,
    )
    .option(
      '--query-price <amount>',
      'price of one query, for the attacker-cost figures of extraction findings',
      parseNonNegativeNumber,
    )
    .option(
      '--extraction-what-if',
      're-run each extraction attack as if the API answered top-1, top-3, rounded (2, 3, 4 decimals) or labels only (multiplies the queries)',
    )
    .option(
      '--knockoff-strategy <name>',
      "extraction.knockoff's natural queries: 'random' (default) or 'adaptive' (the paper's bandit)",
      parseKnockoffStrategy,
    )
    .option(
      '--surrogate-out <file.onnx>',
      'write the stolen model (the extraction surrogate with the highest fidelity) as ONNX, laid out as the target',
    )
    .option('--reference-models <n>', 'reference/shadow models to train', parsePositiveInteger)
    .option(
      '--reference-epochs <n|auto>',
      "epochs per reference model, or 'auto' (default): train each until it fits its training rows as tightly as the target fits the members (at most 300)",
      parseReferenceEpochs,
    )
    .option(
      '--reference-learning-rate <x>',
      'Adam learning rate of reference models (default 0.002); match the target',
      parsePositiveNumber,
    )
    .option('--reference-batch-size <n>', 'batch size of reference models (default 64)', parsePositiveInteger)
    .option(
      '--reference-l2 <x>',
      'L2 penalty on reference-model weights (default 0); match the target',
      parseNonNegativeNumber,
    )
    .option(
      '--target-train-size <n>',
      "size of the target's training set, when the members file holds only part of it (default: the member count); reference models train on sets of this size",
      parsePositiveInteger,
    )
    .option(
      '--duplicates <policy>',
      "identical records under different ids: 'exclude' (default) leaves non-members identical to a member and population rows identical to an audited record out of the measurement; 'keep' audits every row as given. Counted in the report either way",
      parseDuplicatePolicyOption,
    )
    .option(
      '--reference-hidden <list>',
      "hidden layer widths of reference models, e.g. 128,64 or 'none' (default: mirrored from the target's ONNX graph)",
      parseHiddenLayers,
    )
    .option(
      '--reference-activation <name>',
      'relu, tanh or sigmoid, with --reference-hidden (default relu)',
      parseActivation,
    )
    .option('--seed <n>', 'seed for every random choice (integer 0..4294967295)', parseSeed)
    .option(
      '--top-exposed <n>',
      'most exposed members to list per finding, by row id (default 10)',
      parseNonNegativeInteger,
    )
    .option(
      '--max-model-mb <n>',
      `refuse model files larger than this (default ${DEFAULT_MAX_MODEL_MB})`,
      parsePositiveInteger,
    )
    .option('--reference-cache <dir>', 'cache trained reference models here and reuse them in later audits')
    .option(
      '--max-reference-seconds <s>',
      'refuse, before training, an audit whose estimated reference-model training time is above this',
      parsePositiveNumber,
    )
    .option('--dry-run', 'check the inputs and print the attacks and the training cost; train nothing')
    .option('--out <report.json>', 'where to write the report (written atomically); required unless --dry-run')
    .option('--pdf <report.pdf>', 'also render the report as PDF (a document to file with a DPIA)')
    .option('--html <report.html>', 'also render the report as one self-contained HTML page')
    .option(
      '--sign-key <key.pem>',
      'Ed25519 private key (PEM): sign the report JSON (field "signature") and write <file>.sig beside --pdf/--html',
    )
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print the report JSON on stdout instead of the findings table')
    .addHelpText('after', AUDIT_EXAMPLES)
    .action(async (raw: RawAuditOptions) => {
      if (raw.out === undefined && raw.dryRun !== true) throw missingOutOption();
      if (raw.targetUrl === undefined) {
        const orphan = remoteOnlyOptions(raw);
        if (orphan !== undefined) throw new UsageError(`${orphan} applies to a remote target: give --target-url`);
      }
      await runAuditCommand(
        {
          ...(raw.model !== undefined ? { model: raw.model } : {}),
          ...(raw.targetUrl !== undefined
            ? {
                remote: {
                  url: raw.targetUrl,
                  protocol: raw.targetProtocol,
                  headers: raw.targetHeader,
                  headersFromEnv: raw.targetHeaderFromEnv,
                  output: raw.targetOutput,
                  modelName: raw.targetModelName,
                  inputName: raw.targetInputName,
                  jsonTemplate: raw.targetJsonTemplate,
                  jsonResponsePath: raw.targetJsonResponsePath,
                  batchSize: raw.targetBatchSize,
                },
              }
            : {}),
          outbound: { allowHosts: raw.allowHost, queryBudget: raw.queryBudget, ownershipToken: raw.ownershipToken },
          members: raw.members,
          nonMembers: raw.nonmembers,
          population: raw.population,
          label: raw.label,
          idColumn: raw.idColumn,
          pseudonymizeIds: raw.pseudonymizeIds,
          pseudonymKeyFile: raw.pseudonymKeyFile,
          classes: raw.classes,
          numClasses: raw.numClasses,
          groupColumn: raw.groupColumn,
          preprocessing: raw.preprocessing,
          attacks: raw.attacks,
          sensitiveColumn: raw.sensitiveColumn,
          inversionQueries: raw.inversionQueries,
          inversionOut: raw.inversionOut,
          inversionRestarts: raw.inversionRestarts,
          outputPolicy: raw.outputPolicy,
          // Against an endpoint the budget is the audit's hard cap (outbound above); extraction shares what is left.
          ...(raw.targetUrl === undefined ? { queryBudget: raw.queryBudget } : {}),
          queryPrice: raw.queryPrice,
          extractionWhatIf: raw.extractionWhatIf,
          knockoffStrategy: raw.knockoffStrategy,
          surrogateOut: raw.surrogateOut,
          referenceModels: raw.referenceModels,
          referenceEpochs: raw.referenceEpochs,
          referenceLearningRate: raw.referenceLearningRate,
          referenceBatchSize: raw.referenceBatchSize,
          referenceL2: raw.referenceL2,
          targetTrainSize: raw.targetTrainSize,
          duplicates: raw.duplicates,
          referenceHidden: raw.referenceHidden,
          referenceActivation: raw.referenceActivation,
          seed: raw.seed,
          topExposed: raw.topExposed,
          maxModelMb: raw.maxModelMb,
          referenceCache: raw.referenceCache,
          maxReferenceSeconds: raw.maxReferenceSeconds,
          dryRun: raw.dryRun,
          out: raw.out,
          pdf: raw.pdf,
          html: raw.html,
          signKey: raw.signKey,
          quiet: raw.quiet,
          json: raw.json,
        },
        io,
        signal,
      );
      setExitCode(EXIT_OK);
    });

  program
    .command('report')
    .description('render a report JSON (from `privaudit audit` or the service) as PDF and/or HTML')
    .argument('<report.json>', 'a privaudit report, schemaVersion 1')
    .option('--pdf <out.pdf>', 'write the PDF here (atomically)')
    .option('--html <out.html>', 'write one self-contained HTML page here (atomically)')
    .option('--sign-key <key.pem>', 'Ed25519 private key (PEM): write a detached <file>.sig beside each document')
    .option('-q, --quiet', 'print nothing on success')
    .addHelpText('after', REPORT_EXAMPLES)
    .action(async (reportPath: string, raw: { pdf?: string; html?: string; signKey?: string; quiet?: boolean }) => {
      await runReportCommand(
        { report: reportPath, pdf: raw.pdf, html: raw.html, signKey: raw.signKey, quiet: raw.quiet },
        io,
      );
      setExitCode(EXIT_OK);
    });

  program
    .command('pseudonymize')
    .description(
      'print the pseudonym of each of your row ids under your key (id,pseudonym CSV): the mapping stays with you',
    )
    .requiredOption('--key-file <file>', 'the pseudonym key the audit used (hex digits)')
    .requiredOption('--ids <file>', 'one id per line, or with --id-column a CSV with a header row')
    .option('--id-column <column>', 'read the ids from this column of a CSV (e.g. the members file)')
    .action(async (raw: { keyFile: string; ids: string; idColumn?: string }) => {
      await runPseudonymizeCommand({ keyFile: raw.keyFile, ids: raw.ids, idColumn: raw.idColumn }, io);
      setExitCode(EXIT_OK);
    });

  program
    .command('verify')
    .description('check that a report (JSON, PDF or HTML) is unchanged since it was signed, and by which key')
    .argument('<file>', 'report.json (signature inside) or report.pdf / report.html (detached <file>.sig)')
    .option('--public-key <pub.pem>', 'the Ed25519 public key (PEM) the signature must be made with')
    .option('--signature <file.sig>', 'the detached signature of a PDF or HTML document (default <file>.sig)')
    .option('-q, --quiet', 'print nothing on success')
    .addHelpText('after', VERIFY_EXAMPLES)
    .action(async (file: string, raw: { publicKey?: string; signature?: string; quiet?: boolean }) => {
      await runVerifyCommand({ file, publicKey: raw.publicKey, signature: raw.signature, quiet: raw.quiet }, io);
      setExitCode(EXIT_OK);
    });

  program
    .command('gate')
    .description("release gate: fail (exit 3) when the candidate audit's risk score rose more than allowed")
    .requiredOption('--baseline <a.json>', 'report of the released model')
    .requiredOption('--candidate <b.json>', 'report of the model to release')
    .addOption(
      new Option('--max-rise <points>', 'largest allowed rise of the risk score (0-100)')
        .argParser(parseMaxRise)
        .default(DEFAULT_MAX_RISE),
    )
    .addHelpText('after', GATE_EXAMPLES)
    .action(async (raw: { baseline: string; candidate: string; maxRise: number }) => {
      await runGateCommand({ baseline: raw.baseline, candidate: raw.candidate, maxRise: raw.maxRise }, io);
      setExitCode(EXIT_OK);
    });

  program
    .command('demo')
    .description('split bundled handwritten-digit data, train a deliberately overfit model on it, and audit it')
    .addOption(
      new Option('--workdir <dir>', 'where the CSVs, target.onnx and report.json go').default(DEFAULT_DEMO_WORKDIR),
    )
    .addOption(
      new Option('--seed <n>', 'seed for the split, the training and the audit').argParser(parseSeed).default(1),
    )
    .option('-q, --quiet', 'no progress output')
    .action(async (raw: RawDemoOptions) => {
      await runDemoCommand({ workdir: raw.workdir, seed: raw.seed, quiet: raw.quiet }, io, signal);
      setExitCode(EXIT_OK);
    });

  return program;
}
