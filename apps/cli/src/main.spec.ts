// The CLI as a user meets it: main() in-process with real files in a temp dir, a real ONNX model and the
// real engine; only stdout/stderr are captured.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  argmaxMlpOnnx,
  csvText,
  mlpForwardLogits,
  randomFeatures,
  softmaxMlpOnnx,
  tinyRandomMlp,
} from '../../../test/fixtures/onnx-fixtures';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';
import { privauditPackage } from './package-root';

const N_FEATURES = 4;
const NUM_CLASSES = 3;
const ROWS = 60;

let dir: string;
let modelPath: string;

/** Members labelled with the model's own prediction (fitted), non-members at random: a leak the LOSS attack must see. */
async function writeFixtures(): Promise<void> {
  const weights = tinyRandomMlp(11, { nFeatures: N_FEATURES, hidden: [8], numClasses: NUM_CLASSES, scale: 2 });
  await fs.writeFile(modelPath, softmaxMlpOnnx(weights));
  const header = ['id', 'f0', 'f1', 'f2', 'f3', 'label'];
  const rows = (seed: number, fitted: boolean, idPrefix: string): Array<Array<string | number>> => {
    const x = randomFeatures(seed, ROWS, N_FEATURES);
    const logits = mlpForwardLogits(weights, x, ROWS);
    return Array.from({ length: ROWS }, (_, r) => {
      const scores = Array.from(logits.subarray(r * NUM_CLASSES, (r + 1) * NUM_CLASSES));
      const predicted = scores.indexOf(Math.max(...scores));
      const label = fitted ? predicted : (predicted + 1 + (r % (NUM_CLASSES - 1))) % NUM_CLASSES;
      return [`${idPrefix}${r + 1}`, ...Array.from(x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)), label];
    });
  };
  await fs.writeFile(path.join(dir, 'members.csv'), csvText(header, rows(1, true, 'm')));
  await fs.writeFile(path.join(dir, 'nonmembers.csv'), csvText(header, rows(2, false, 'n')));
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir, env);
  return main(['node', 'privaudit', ...args], io).then((code) => ({ code, io }));
}

const auditArgs = (...extra: string[]): string[] => [
  'audit',
  '--model',
  'model.onnx',
  '--members',
  'members.csv',
  '--nonmembers',
  'nonmembers.csv',
  '--label',
  'label',
  '--id-column',
  'id',
  '--out',
  'out/report.json',
  ...extra,
];

/** auditArgs without --out and its value. */
const withoutOut = (args: string[]): string[] => args.filter((a, i) => a !== '--out' && args[i - 1] !== '--out');

const stderrLines = (io: CapturedIo): string[] =>
  io.stderr
    .join('')
    .split('\n')
    .filter((l) => l !== '');

/** A failed command: one `privaudit: error:` line and nothing else on stderr, no report. */
async function expectOneLineError(args: string[], code: number, message: RegExp): Promise<void> {
  const result = await run(args);
  expect(stderrLines(result.io)).toEqual([expect.stringMatching(/^privaudit: error: /)]);
  expect(stderrLines(result.io)[0]).toMatch(message);
  expect(result.code).toBe(code);
  await expect(fs.access(path.join(dir, 'out', 'report.json'))).rejects.toThrow();
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-cli-'));
  modelPath = path.join(dir, 'model.onnx');
  await writeFixtures();
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('privaudit audit', () => {
  it('audits, writes the report atomically and prints the findings table', async () => {
    const { code, io } = await run(auditArgs('--attacks', 'membership.loss', '--seed', '7', '--quiet'));
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);

    const reportPath = path.join(dir, 'out', 'report.json');
    const report = JSON.parse(await fs.readFile(reportPath, 'utf8'));
    expect(report.schemaVersion).toBe(1);
    expect(report.target.format).toBe('onnx');
    expect(report.target.sha256).toBe(
      createHash('sha256')
        .update(await fs.readFile(modelPath))
        .digest('hex'),
    );
    expect(report.config.seed).toBe(7);
    expect(report.config.attacks).toEqual(['membership.loss']);

    const loss = report.findings.find((f: { attack: string }) => f.attack === 'membership.loss');
    expect(loss).toBeDefined();
    // Members are the records the model fits: swapping members and non-members would push this below 0.5.
    expect(loss.metrics.auc).toBeGreaterThan(0.7);
    expect(typeof loss.metrics.tpr['0.001']).toBe('number');
    expect(typeof loss.metrics.tpr['0.01']).toBe('number');
    expect(typeof loss.metrics.balancedAccuracy).toBe('number');
    expect(typeof loss.metrics.advantage).toBe('number');
    expect(typeof loss.metrics.epsilonLowerBound).toBe('number');
    expect(['none', 'low', 'medium', 'high', 'critical']).toContain(loss.severity);
    expect(['low', 'medium', 'high', 'critical']).toContain(report.risk.rating);
    // Exposed records are named by the declared id column.
    for (const r of loss.mostExposed) expect(r.rowId).toMatch(/^m\d+$/);

    const stdout = io.stdout.join('');
    expect(stdout).toContain('membership.loss');
    expect(stdout).toContain(`Report written to ${reportPath}`);
    // Only the report is left in the output directory: the temporary file was renamed over it.
    expect(await fs.readdir(path.join(dir, 'out'))).toEqual(['report.json']);
  });

  it('--dry-run prints the reference-model plan and its cost, and trains and writes nothing', async () => {
    const x = randomFeatures(3, 80, N_FEATURES);
    const population = Array.from({ length: 80 }, (_, r) => [
      `p${r + 1}`,
      ...Array.from(x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)),
      r % NUM_CLASSES,
    ]);
    await fs.writeFile(path.join(dir, 'population.csv'), csvText(['id', 'f0', 'f1', 'f2', 'f3', 'label'], population));
    const cache = path.join(dir, 'cache');
    const args = auditArgs(
      '--population',
      'population.csv',
      '--attacks',
      'membership.rmia,membership.lira',
      '--reference-models',
      '2',
      '--reference-cache',
      'cache',
      '--quiet',
    );

    const dry = await run([...args, '--dry-run']);
    expect(dry.code).toBe(0);
    const out = dry.io.stdout.join('');
    expect(out).toMatch(/reference models: .*2 (online|offline)/);
    expect(out).toMatch(/estimated training: 4 models/);
    await expect(fs.access(path.join(dir, 'out', 'report.json'))).rejects.toThrow();
    await expect(fs.access(cache)).rejects.toThrow();

    // A budget below the estimate refuses before training: one error line, nothing cached.
    await expectOneLineError([...args, '--max-reference-seconds', '0.01'], 1, /budget/i);
    await expect(fs.readdir(cache).catch(() => [])).resolves.toEqual([]);
  });

  it('--dry-run needs no --out', async () => {
    const { code, io } = await run([...withoutOut(auditArgs('--quiet')), '--dry-run']);
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    expect(io.stdout.join('')).toContain('dry run: inputs checked, nothing trained, no report written');
    await expect(fs.access(path.join(dir, 'out'))).rejects.toThrow();
  });

  it('trains reference models with the given recipe and architecture and records them in the report', async () => {
    const x = randomFeatures(4, 80, N_FEATURES);
    const population = Array.from({ length: 80 }, (_, r) => [
      `p${r + 1}`,
      ...Array.from(x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)),
      r % NUM_CLASSES,
    ]);
    await fs.writeFile(path.join(dir, 'population.csv'), csvText(['id', 'f0', 'f1', 'f2', 'f3', 'label'], population));
    const { code } = await run(
      auditArgs(
        '--population',
        'population.csv',
        '--attacks',
        'membership.rmia',
        '--reference-models',
        '1',
        '--reference-epochs',
        '3',
        '--reference-learning-rate',
        '0.01',
        '--reference-hidden',
        '6,5',
        '--reference-activation',
        'tanh',
        '--reference-l2',
        '0.001',
        '--target-train-size',
        '30',
        '--quiet',
      ),
    );
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.config.referenceTraining).toEqual({ epochs: 3, learningRate: 0.01, l2: 0.001 });
    expect(report.config.referenceArchitecture).toEqual({ hidden: [6, 5], activation: 'tanh' });
    expect(report.config.referenceCost.modelsTrained).toBe(1);
    // Offline: 30 population rows per model (the declared training-set size, under half of the 80).
    expect(report.config.referenceFit).toMatchObject({ trainSize: 30, epochs: 3 });
    expect(report.config.referenceFit.references).toEqual([
      expect.objectContaining({ mode: 'offline', trainRows: 30 }),
    ]);
  });

  it("defaults to RMIA with a population and to reference epochs 'auto', priced at the cap and recorded", async () => {
    const x = randomFeatures(5, 80, N_FEATURES);
    const population = Array.from({ length: 80 }, (_, r) => [
      `p${r + 1}`,
      ...Array.from(x.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)),
      r % NUM_CLASSES,
    ]);
    await fs.writeFile(path.join(dir, 'population.csv'), csvText(['id', 'f0', 'f1', 'f2', 'f3', 'label'], population));
    const dry = await run(withoutOut(auditArgs('--population', 'population.csv', '--dry-run')));
    expect(dry.code).toBe(0);
    const plan = dry.io.stdout.join('');
    expect(plan).toContain('membership.rmia');
    expect(plan).toMatch(/auto/);
    const { code } = await run(
      auditArgs('--population', 'population.csv', '--reference-models', '1', '--reference-epochs', 'auto', '--quiet'),
    );
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.config.attacks).toEqual(['membership.loss', 'membership.confidence', 'membership.rmia']);
    expect(report.config.referenceCost).toMatchObject({ epochs: 'auto', maxEpochs: 300 });
    expect(report.config.referenceFit).toMatchObject({ epochs: 'auto', maxEpochs: 300 });
    expect(report.config.referenceFit.target.accuracy).toBeGreaterThan(0);
    expect(report.config.referenceTraining).toBeUndefined();
  });

  it('refuses a bad --duplicates or --reference-epochs value as a usage error', async () => {
    const bad = await run(auditArgs('--duplicates', 'drop'));
    expect(bad.code).toBe(2);
    expect(bad.io.stderr.join('')).toContain('exclude or keep');
    const epochs = await run(auditArgs('--reference-epochs', 'forever'));
    expect(epochs.code).toBe(2);
  });

  it('prints plain progress lines on a non-terminal stderr', async () => {
    const { code, io } = await run(auditArgs('--attacks', 'membership.loss'));
    expect(code).toBe(0);
    const lines = stderrLines(io);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\[[ \d]{3}%\] \S+/);
    expect(lines.some((l) => l.includes('attack:membership.loss'))).toBe(true);
  });

  it('--json prints the same report that was written', async () => {
    const { code, io } = await run(auditArgs('--attacks', 'membership.loss', '--quiet', '--json'));
    expect(code).toBe(0);
    const written = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(JSON.parse(io.stdout.join(''))).toEqual(written);
  });

  it('the same seed gives the same findings', async () => {
    await run(auditArgs('--attacks', 'membership.loss', '--seed', '3', '--quiet'));
    const first = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    await run(auditArgs('--attacks', 'membership.loss', '--seed', '3', '--quiet'));
    const second = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(second.findings).toEqual(first.findings);
  });

  it('--output-policy round:1 audits the rounded answers and records the policy in the report', async () => {
    const { code, io } = await run(auditArgs('--attacks', 'membership.loss', '--output-policy', 'round:1', '--quiet'));
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.config.outputPolicy).toBe('round:1');
    expect(report.config.attacks).toEqual(['membership.loss']);
    // Every member's true-label probability was seen rounded to one decimal: the exposed scores are log(0.k).
    for (const r of report.findings[0].mostExposed as Array<{ score: number }>) {
      const p = Math.exp(r.score);
      expect(Math.abs(p * 10 - Math.round(p * 10))).toBeLessThan(1e-5);
    }

    await run(auditArgs('--attacks', 'membership.loss', '--quiet'));
    const plain = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(plain.config.outputPolicy).toBeUndefined();
  });

  it('--output-policy labels runs membership.label-only when no attacks are named', async () => {
    const { code } = await run(auditArgs('--output-policy', 'labels', '--quiet'));
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.config).toMatchObject({ outputPolicy: 'labels', attacks: ['membership.label-only'] });
    expect(report.findings.map((f: { attack: string }) => f.attack)).toEqual(['membership.label-only']);
  });

  it('audits a labels-only (ArgMax) model with --num-classes, running membership.label-only', async () => {
    const weights = tinyRandomMlp(11, { nFeatures: N_FEATURES, hidden: [8], numClasses: NUM_CLASSES, scale: 2 });
    await fs.writeFile(modelPath, argmaxMlpOnnx(weights));
    await expectOneLineError(auditArgs('--quiet'), 1, /holds class indices .*--num-classes/);
    const { code } = await run(auditArgs('--num-classes', String(NUM_CLASSES), '--quiet'));
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.target).toMatchObject({ outputKind: 'labels', numClasses: NUM_CLASSES });
    expect(report.config.attacks).toEqual(['membership.label-only']);
  });

  describe('refuses bad input with one line and exit 1', () => {
    it('a score attack under --output-policy labels, naming it', () =>
      expectOneLineError(
        auditArgs('--attacks', 'membership.loss', '--output-policy', 'labels', '--quiet'),
        1,
        /membership\.loss needs the target's scores, but the output policy 'labels'/,
      ));

    it('a missing file', () =>
      expectOneLineError(auditArgs('--members', 'nope.csv'), 1, /--members: file not found: nope\.csv$/));

    it('a file that is not ONNX', async () => {
      await fs.writeFile(modelPath, 'id,f0\n1,2\n');
      await expectOneLineError(auditArgs('--quiet'), 1, /onnx/i);
    });

    it('a CSV line with the wrong number of columns, naming the line', async () => {
      const text = await fs.readFile(path.join(dir, 'members.csv'), 'utf8');
      const lines = text.split('\n');
      lines[3] = `${lines[3]},9`;
      await fs.writeFile(path.join(dir, 'members.csv'), lines.join('\n'));
      await expectOneLineError(auditArgs('--quiet'), 1, /members\.csv.*line 4/);
    });

    it('a model larger than --max-model-mb', async () => {
      await fs.writeFile(modelPath, Buffer.alloc(1024 * 1024 + 1));
      await expectOneLineError(auditArgs('--max-model-mb', '1'), 1, /over the 1 MB limit/);
    });

    it("a misspelt --label, --id-column or --group-column, suggesting the header's nearest name", async () => {
      await expectOneLineError(
        auditArgs('--label', 'lable', '--quiet'),
        1,
        /members\.csv: label column 'lable' is not in the header \(6 columns\); did you mean 'label'\?$/,
      );
      await expectOneLineError(auditArgs('--id-column', 'ID', '--quiet'), 1, /id column 'ID' .*; did you mean 'id'\?$/);
      await expectOneLineError(
        auditArgs('--group-column', 'f9', '--quiet'),
        1,
        /group column 'f9' .*; did you mean 'f0'\?$/,
      );
    });

    it('a raw table against a model with more inputs, suggesting --preprocessing', async () => {
      const raw = csvText(
        ['id', 'f0', 'colour', 'label'],
        [
          ['m1', 0.5, 'red', 0],
          ['m2', 1.5, '', 1],
        ],
      );
      await fs.writeFile(path.join(dir, 'members.csv'), raw);
      await expectOneLineError(
        auditArgs('--quiet'),
        1,
        /model expects 4 features, members\.csv has 2 feature columns; if the file is a raw table \(string categories, missing values\), describe its encoding with --preprocessing spec\.json \(docs\/preprocessing\.md\)$/,
      );
    });

    it('--out pointing at a directory', async () => {
      await fs.mkdir(path.join(dir, 'somedir'));
      const result = await run(auditArgs('--out', 'somedir'));
      expect(result.code).toBe(1);
      expect(stderrLines(result.io)).toEqual([
        expect.stringMatching(/^privaudit: error: --out somedir is a directory/),
      ]);
    });
  });

  describe('refuses a bad command line with one line and exit 2', () => {
    it('an unknown attack, listing the known ones', () =>
      expectOneLineError(
        auditArgs('--attacks', 'membership.loss,membership.nope'),
        2,
        /unknown attack 'membership\.nope'; known attacks: .*membership\.loss/,
      ));

    it('a seed that is not an integer', () =>
      expectOneLineError(auditArgs('--seed', 'abc'), 2, /--seed.*'abc' is invalid.*integer/));

    it('a negative or fractional count', async () => {
      await expectOneLineError(auditArgs('--reference-models', '0'), 2, /--reference-models.*integer >= 1/);
      await expectOneLineError(auditArgs('--top-exposed', '2.5'), 2, /--top-exposed.*integer >= 0/);
    });

    it('a missing required option', () =>
      expectOneLineError(
        auditArgs().filter((a) => a !== '--label' && a !== 'label'),
        2,
        /required option '--label <column>' not specified/,
      ));

    it('no --out without --dry-run', () =>
      expectOneLineError(
        withoutOut(auditArgs('--quiet')),
        2,
        /required option '--out <report\.json>' not specified \(only --dry-run runs without it\)$/,
      ));

    it('an unknown option', () => expectOneLineError(auditArgs('--bogus'), 2, /unknown option '--bogus'/));

    it('a malformed output policy', () =>
      expectOneLineError(
        auditArgs('--output-policy', 'round:9'),
        2,
        /--output-policy.*'round:9' is invalid\. output policy 'round:9': decimals must be from 1 to 7/,
      ));

    it('no command', async () => {
      const { code, io } = await run([]);
      expect(code).toBe(2);
      expect(stderrLines(io)).toEqual(['privaudit: error: no command given; run `privaudit --help`']);
    });
  });

  it('prints a stack trace only with PRIVAUDIT_DEBUG=1', async () => {
    const { code, io } = await run(auditArgs('--members', 'nope.csv'), { PRIVAUDIT_DEBUG: '1' });
    expect(code).toBe(1);
    const lines = stderrLines(io);
    expect(lines[0]).toMatch(/^privaudit: error: /);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).join('\n')).toMatch(/\bat /);
  });
});

describe('privaudit --version and --help', () => {
  it('--version prints the package version', async () => {
    const { code, io } = await run(['--version']);
    expect(code).toBe(0);
    expect(io.stdout.join('').trim()).toBe(privauditPackage().version);
  });

  it('audit --help lists the options with examples', async () => {
    const { code, io } = await run(['audit', '--help']);
    expect(code).toBe(0);
    const help = io.stdout.join('');
    for (const option of [
      '--model',
      '--members',
      '--nonmembers',
      '--population',
      '--label',
      '--attacks',
      '--reference-models',
      '--seed',
      '--out',
      '--json',
    ]) {
      expect(help).toContain(option);
    }
    expect(help).toContain('Examples:');
    expect(help).toContain('Exit codes');
  });
});
