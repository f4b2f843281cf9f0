import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadLabeledCsv } from '../data/csv-dataset';
import { EngineErrorCode } from '../errors';
import { IMPLEMENTED_ATTACKS, createMembershipAttack } from '../membership/attack-registry';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { SeededRandom } from '../random/seeded-random';
import { formatFindingsTable } from '../report/build-report';
import { trainMlp } from '../training/mlp-trainer';
import type { AttackId, ProgressEvent } from '../types';
import { type CsvInput, runAudit } from './run-audit';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { membershipFindings } from '../report/findings';

// Real training and inference on a shared 2-core machine.
jest.setTimeout(180_000);

const DIGITS = DIGITS_CSV;
const ATTACKS_WITHOUT_REFERENCES = IMPLEMENTED_ATTACKS.filter(
  (id) => createMembershipAttack(id).referenceModels === 'none',
);

/** digits.csv split by a seeded permutation into the target's training set and three unseen parts, with a row id column. */
function splitDigits(): { train: CsvInput; unseenA: CsvInput; unseenB: CsvInput; population: CsvInput } {
  const [header, ...lines] = readFileSync(DIGITS, 'utf8').trimEnd().split('\n');
  const order = new SeededRandom(2024).permutation(lines.length);
  const csv = (name: string, from: number, to: number): CsvInput => ({
    name,
    data: Buffer.from(
      [`rid,${header}`, ...order.slice(from, to).map((i) => `r${i + 1},${lines[i]}`)].join('\n') + '\n',
    ),
  });
  return {
    train: csv('train.csv', 0, 300),
    unseenA: csv('unseen-a.csv', 300, 850),
    unseenB: csv('unseen-b.csv', 850, 1400),
    population: csv('population.csv', 1400, lines.length),
  };
}

describe('runAudit on an MLP trained on digits', () => {
  const split = splitDigits();
  let model: Uint8Array;

  beforeAll(async () => {
    const train = await loadLabeledCsv(split.train.data as Buffer, { labelColumn: 'digit', idColumn: 'rid' });
    // No regularisation: the target memorises its training set, as an overfit production model would.
    const weights = await trainMlp(
      train,
      { nFeatures: 64, hidden: [64], numClasses: 10, activation: 'relu' },
      {
        epochs: 150,
        batchSize: 32,
        learningRate: 3e-3,
        l2: 0,
        seed: 5,
      },
    );
    model = writeMlpOnnx(weights);
  });

  it('NULL: members and non-members both unseen by the target -> every attack AUC within 0.5 +- 0.05 and low risk', async () => {
    const report = await runAudit({
      model,
      members: split.unseenA,
      nonMembers: split.unseenB,
      labelColumn: 'digit',
      idColumn: 'rid',
      attacks: ATTACKS_WITHOUT_REFERENCES,
      seed: 3,
    });
    expect(report.findings.map((f) => f.attack)).toEqual(ATTACKS_WITHOUT_REFERENCES);
    for (const f of membershipFindings(report.findings)) {
      expect(Math.abs(f.metrics.auc - 0.5)).toBeLessThan(0.05);
      expect(['none', 'low']).toContain(f.severity);
    }
    expect(report.risk.rating).toBe('low');
    expect(report.risk.score).toBeLessThan(30);
  });

  it('finds the leak when the members are the training set, and reports it reproducibly', async () => {
    const events: ProgressEvent[] = [];
    const request = {
      model,
      members: split.train,
      nonMembers: split.unseenB,
      labelColumn: 'digit',
      idColumn: 'rid',
      attacks: ['membership.loss', 'membership.confidence'] as AttackId[],
      seed: 9,
      topExposed: 5,
    };
    const report = await runAudit(request, { onProgress: (e) => events.push(e) });

    const loss = membershipFindings(report.findings).find((f) => f.attack === 'membership.loss');
    expect(loss).toBeDefined();
    expect(loss!.metrics.auc).toBeGreaterThan(0.6);
    expect(loss!.severity).not.toBe('none');
    expect(loss!.metrics.nMembers).toBe(300);
    expect(loss!.metrics.nNonMembers).toBe(550);
    expect(loss!.summary).toContain('300 training records');
    expect(report.risk.score).toBeGreaterThan(10);

    // Most exposed: member row ids only, ranked by score.
    expect(loss!.mostExposed.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    for (const r of loss!.mostExposed) expect(r.rowId).toMatch(/^r\d+$/);
    for (let i = 1; i < 5; i++)
      expect(loss!.mostExposed[i]!.score).toBeLessThanOrEqual(loss!.mostExposed[i - 1]!.score);

    expect(report.schemaVersion).toBe(1);
    expect(report.tool).toEqual({
      name: 'privaudit',
      version: (
        JSON.parse(readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8')) as { version: string }
      ).version,
    });
    expect(report.target).toMatchObject({
      sha256: createHash('sha256').update(model).digest('hex'),
      format: 'onnx',
      nFeatures: 64,
      numClasses: 10,
    });
    expect(report.data.members.rows).toBe(300);
    expect(report.data.members.sha256).toBe(createHash('sha256').update(split.train.data!).digest('hex'));
    expect(report.config).toEqual({
      attacks: ['membership.loss', 'membership.confidence'],
      seed: 9,
      referenceModels: 4,
      // No population: the report names the stronger attacks one would enable.
      attacksNeedingPopulation: ['membership.rmia', 'membership.lira', 'membership.lira-offline', 'membership.shadow'],
    });

    const table = formatFindingsTable(report);
    expect(table).toMatch(/^attack\s+AUC\s+TPR@0\.1%FPR\s+TPR@1%FPR\s+ε LB\*\s+severity/);
    expect(table).toContain('not a differential-privacy audit');
    expect(table).toContain('membership.confidence');
    expect(table).toContain(`Risk: ${report.risk.score}/100 (${report.risk.rating})`);

    // Progress: monotone, named phases, ends at 1.
    const fractions = events.map((e) => e.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ phase: 'done', fraction: 1 });
    expect(events.map((e) => e.phase)).toEqual(
      expect.arrayContaining(['inspect', 'load', 'query-target', 'attack:membership.loss', 'report']),
    );

    // Same inputs, same seed: same numbers.
    const again = await runAudit(request);
    expect(again.findings.map((f) => f.metrics)).toEqual(report.findings.map((f) => f.metrics));
  });

  it('runs a reference-model attack with a population file (RMIA, 2 reference models)', async () => {
    const report = await runAudit({
      model,
      members: split.train,
      nonMembers: split.unseenB,
      population: split.population,
      labelColumn: 'digit',
      idColumn: 'rid',
      attacks: ['membership.rmia'],
      referenceModels: 2,
      seed: 4,
    });
    expect(report.data.population?.rows).toBe(397);
    expect(membershipFindings(report.findings)[0]!.metrics.auc).toBeGreaterThan(0.6);
  });

  it('refuses a reference-model attack without a population file', async () => {
    await expect(
      runAudit({
        model,
        members: split.train,
        nonMembers: split.unseenB,
        labelColumn: 'digit',
        attacks: ['membership.lira'],
      }),
    ).rejects.toMatchObject({ code: EngineErrorCode.AttackNeedsPopulation });
  });

  it('refuses the same row ids among members and non-members, unknown attacks and a missing file', async () => {
    await expect(
      runAudit({ model, members: split.train, nonMembers: split.train, labelColumn: 'digit', idColumn: 'rid' }),
    ).rejects.toMatchObject({
      code: EngineErrorCode.MembersNonMembersOverlap,
    });
    await expect(
      runAudit({
        model,
        members: split.train,
        nonMembers: split.unseenB,
        labelColumn: 'digit',
        attacks: ['membership.nope' as AttackId],
      }),
    ).rejects.toMatchObject({ code: EngineErrorCode.UnknownAttack });
    await expect(
      runAudit({ model, members: { name: 'members.csv' }, nonMembers: split.unseenB, labelColumn: 'digit' }),
    ).rejects.toMatchObject({
      code: EngineErrorCode.InvalidOption,
    });
  });

  it('stops with an AbortError when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runAudit(
        { model, members: split.train, nonMembers: split.unseenB, labelColumn: 'digit' },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    const midway = new AbortController();
    await expect(
      runAudit(
        { model, members: split.train, nonMembers: split.unseenB, labelColumn: 'digit', idColumn: 'rid' },
        { signal: midway.signal, onProgress: (e) => e.phase === 'query-target' && midway.abort() },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
