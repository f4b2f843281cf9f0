// Real tables hold identical records under different ids (letter recognition: 1332 rows repeat an earlier one).
// An audit on such a table runs to a report, counts the twins, and by default keeps them out of the scored
// non-members and of the population; the counts are checked against plain string comparison of the CSV rows.
import { readFileSync } from 'node:fs';
import { loadLabeledCsv } from '../data/csv-dataset';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { trainMlp } from '../training/mlp-trainer';
import { type CsvInput, runAudit } from './run-audit';
import { LETTER } from '../../../../test/fixtures/datasets';
import { membershipFindings } from '../report/findings';

jest.setTimeout(300_000);

const lines = readFileSync(LETTER.path, 'utf8').trimEnd().split('\n');
const header = lines[0]!;
const rows = lines.slice(1);

function csv(name: string, from: number, to: number): CsvInput {
  const body = rows.slice(from, to).map((line, i) => `L${from + i + 1},${line}`);
  return { name, data: Buffer.from([`id,${header}`, ...body].join('\n') + '\n') };
}

describe('runAudit on letter recognition, a real table with duplicate records', () => {
  const members = csv('members.csv', 0, 2000);
  const nonMembers = csv('nonmembers.csv', 2000, 4000);
  const population = csv('population.csv', 4000, 8000);
  // Expected counts by plain string comparison of the rows (features and label), independent of the engine.
  const memberRows = new Set(rows.slice(0, 2000));
  const twinNonMembers = rows.slice(2000, 4000).filter((r) => memberRows.has(r)).length;
  const auditedRows = new Set(rows.slice(0, 4000));
  const twinPopulation = rows.slice(4000, 8000).filter((r) => auditedRows.has(r)).length;
  let model: Uint8Array;

  beforeAll(async () => {
    const train = await loadLabeledCsv(members.data as Buffer, {
      labelColumn: LETTER.labelColumn,
      idColumn: 'id',
      classes: LETTER.classes,
    });
    const weights = await trainMlp(
      train,
      { nFeatures: 16, hidden: [64], numClasses: 26, activation: 'relu' },
      { epochs: 60, batchSize: 32, learningRate: 3e-3, l2: 0, seed: 3 },
    );
    model = writeMlpOnnx(weights);
  });

  const request = () => ({
    model,
    members,
    nonMembers,
    population,
    labelColumn: LETTER.labelColumn,
    idColumn: 'id',
    classes: [...LETTER.classes],
    attacks: ['membership.loss' as const, 'membership.rmia' as const],
    referenceModels: 2,
    referenceTraining: { epochs: 20 },
  });

  it('runs to a report, counting the twins and leaving them out of the measurement by default', async () => {
    expect(twinNonMembers).toBeGreaterThan(20);
    expect(twinPopulation).toBeGreaterThan(20);
    const report = await runAudit(request());
    expect(report.data.duplicates).toMatchObject({
      policy: 'exclude',
      nonMembersMatchingMembers: twinNonMembers,
      populationMatchingAudited: twinPopulation,
      excludedNonMembers: twinNonMembers,
      excludedPopulation: twinPopulation,
    });
    expect(report.data.nonMembers.rows).toBe(2000);
    expect(report.data.population?.rows).toBe(4000);
    for (const finding of membershipFindings(report.findings)) {
      expect(finding.metrics.nMembers).toBe(2000);
      expect(finding.metrics.nNonMembers).toBe(2000 - twinNonMembers);
    }
    expect(report.config.referenceFit?.trainSize).toBe(2000);
  });

  it('with --duplicates keep, scores every non-member and reports the same counts', async () => {
    const report = await runAudit({ ...request(), duplicates: 'keep', attacks: ['membership.loss'] });
    expect(report.data.duplicates).toMatchObject({
      policy: 'keep',
      nonMembersMatchingMembers: twinNonMembers,
      excludedNonMembers: 0,
      excludedPopulation: 0,
    });
    expect(membershipFindings(report.findings)[0]!.metrics.nNonMembers).toBe(2000);
  });
});
