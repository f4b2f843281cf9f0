// `privaudit audit --attacks extraction.*`: model extraction end to end as a user runs it, main() in-process on
// real files (a letter MLP target as ONNX, letter CSV slices); the stolen surrogate written with --surrogate-out
// is loaded by onnxruntime and its fidelity, recomputed here, matches the report.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { letterSplit, loadTarget, trainedTarget } from '../../../libs/engine/src/extraction/extraction-fixtures';
import type { AuditReport, ExtractionFinding } from '../../../libs/engine/src/types';
import { LETTER } from '../../../test/fixtures/datasets';
import { captureIo, type CapturedIo } from './cli-io';
import { main } from './main';

jest.setTimeout(300_000);

let dir: string;
let lines: string[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-cli-extraction-'));
  const split = await letterSplit(LETTER.path, 3000, 3000);
  const { bytes } = await trainedTarget(split.train, [32], 30);
  await fs.writeFile(path.join(dir, 'letter.onnx'), bytes);
  lines = (await fs.readFile(LETTER.path, 'utf8')).trimEnd().split('\n');
  const header = lines[0] as string;
  const slice = (from: number, to: number) => [header, ...lines.slice(1 + from, 1 + to)].join('\n') + '\n';
  // members: the first 500 training rows; non-members after the 3000 training rows; population after those
  await fs.writeFile(path.join(dir, 'members.csv'), slice(0, 500));
  await fs.writeFile(path.join(dir, 'nonmembers.csv'), slice(3000, 3500));
  await fs.writeFile(path.join(dir, 'population.csv'), slice(4000, 7000));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(dir, {});
  return main(['node', 'privaudit', ...args], io).then((code) => ({ code, io }));
}

const base = ['audit', '--model', 'letter.onnx', '--members', 'members.csv', '--nonmembers', 'nonmembers.csv'];
const classes = [
  '--label',
  'lettr',
  '--classes',
  Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i)).join(','),
];

async function features(file: string): Promise<Float32Array> {
  const rows = (await fs.readFile(path.join(dir, file), 'utf8')).trimEnd().split('\n').slice(1);
  return Float32Array.from(rows.flatMap((r) => r.split(',').slice(1).map(Number)));
}

function argmaxRows(values: Float32Array, c: number): Int32Array {
  const n = values.length / c;
  return Int32Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (values[r * c + j]! > values[r * c + best]!) best = j;
    return best;
  });
}

describe('privaudit audit with extraction attacks', () => {
  it('steals the model within the budget, reports the contract metrics and writes a surrogate anyone can check', async () => {
    const { code, io } = await run([
      ...base,
      '--population',
      'population.csv',
      ...classes,
      '--attacks',
      'extraction.knockoff,extraction.equation-solving',
      '--query-budget',
      '600',
      '--query-price',
      '0.01',
      '--surrogate-out',
      'out/stolen.onnx',
      '--out',
      'out/report.json',
      '--duplicates',
      'keep',
      '--quiet',
    ]);
    expect(io.stderr.join('')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(await fs.readFile(path.join(dir, 'out/report.json'), 'utf8')) as AuditReport;
    expect(report.config.attacks).toEqual(['extraction.knockoff', 'extraction.equation-solving']);
    const findings = report.findings as ExtractionFinding[];
    expect(findings.map((f) => f.kind)).toEqual(['extraction', 'extraction']);
    for (const f of findings) {
      const m = f.metrics;
      for (const key of ['fidelity', 'fidelityUniform', 'surrogateAccuracy', 'queriesUsed'] as const) {
        expect(typeof m[key]).toBe('number');
      }
      expect(Object.keys(m.queriesTo).sort()).toEqual(['0.9', '0.95', '0.99']);
      expect(m.curve.length).toBeGreaterThan(0);
      expect(m.queriesUsed).toBeLessThanOrEqual(600);
      expect(m.cost?.total).toBeCloseTo(m.queriesUsed * 0.01, 10);
      expect(m.nHeldOut).toBe(1000);
    }
    const knockoff = findings[0]!;
    expect(knockoff.metrics.queriesUsed).toBe(600);
    expect(knockoff.metrics.fidelity).toBeGreaterThan(0.7);
    expect(report.risk.score).toBeGreaterThanOrEqual(Math.max(...findings.map((f) => f.exposure.score)));

    // The surrogate file: same input/output layout as the target, loaded by onnxruntime; its fidelity on the
    // held-out records, recomputed independently against the target, is the best finding's.
    const stolen = await InferenceSession.create(path.join(dir, 'out/stolen.onnx'));
    const target = await loadTarget(new Uint8Array(await fs.readFile(path.join(dir, 'letter.onnx'))));
    try {
      expect(stolen.inputNames).toEqual([target.signature.inputName]);
      expect(stolen.outputNames).toEqual([target.signature.outputName]);
      const held = new Float32Array([...(await features('members.csv')), ...(await features('nonmembers.csv'))]);
      const n = held.length / 16;
      const out = await stolen.run({ [stolen.inputNames[0]!]: new Tensor('float32', held, [n, 16]) });
      const stolenLabels = argmaxRows(out[stolen.outputNames[0]!]!.data as Float32Array, 26);
      const targetLabels = argmaxRows((await target.predict(held, n)).probabilities, 26);
      let agree = 0;
      for (let i = 0; i < n; i++) if (stolenLabels[i] === targetLabels[i]) agree++;
      const best = Math.max(...findings.map((f) => f.metrics.fidelity));
      expect(agree / n).toBeCloseTo(best, 10);
    } finally {
      await stolen.release();
      await target.dispose();
    }
  });

  it('refuses knockoff without a population file, naming the fix', async () => {
    const { code, io } = await run([
      ...base,
      ...classes,
      '--attacks',
      'extraction.knockoff',
      '--out',
      'r.json',
      '--quiet',
    ]);
    expect(code).toBe(1);
    expect(io.stderr.join('')).toMatch(
      /extraction\.knockoff queries the target with natural data; provide a population CSV/,
    );
  });

  it('refuses an invalid query budget and an unknown strategy as usage errors', async () => {
    const budget = await run([
      ...base,
      ...classes,
      '--attacks',
      'extraction.equation-solving',
      '--query-budget',
      '0',
      '--out',
      'r.json',
    ]);
    expect(budget.code).toBe(2);
    expect(budget.io.stderr.join('')).toMatch(/--query-budget/);
    const strategy = await run([...base, ...classes, '--knockoff-strategy', 'greedy', '--out', 'r.json']);
    expect(strategy.code).toBe(2);
  });
});
