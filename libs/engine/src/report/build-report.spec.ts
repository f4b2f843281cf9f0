import { computeMembershipMetrics } from '../metrics/membership-metrics';
import { SeededRandom } from '../random/seeded-random';
import { assessRisk } from '../risk/risk-score';
import type { LabeledDataset, ModelSignature } from '../types';
import {
  buildAuditReport,
  buildMembershipFinding,
  formatFindingsTable,
  mostExposedMembers,
  toolVersion,
} from './build-report';

const dataset = (n: number, sha256: string): LabeledDataset => ({
  featureNames: ['x'],
  nRows: n,
  nFeatures: 1,
  features: new Float32Array(n),
  labels: new Int32Array(n),
  rowIds: Array.from({ length: n }, (_, i) => `id-${i}`),
  sha256,
});
const signature: ModelSignature = {
  inputName: 'x',
  nFeatures: 1,
  numClasses: 2,
  outputName: 'p',
  outputKind: 'probabilities',
  opset: 13,
};

describe('report', () => {
  it('ranks the most exposed members by score, by row id only, ties in file order', () => {
    const exposed = mostExposedMembers(Float64Array.of(0.1, 0.9, 0.5, 0.9), ['a', 'b', 'c', 'd'], 3);
    expect(exposed).toEqual([
      { rowId: 'b', score: 0.9, rank: 1 },
      { rowId: 'd', score: 0.9, rank: 2 },
      { rowId: 'c', score: 0.5, rank: 3 },
    ]);
    expect(mostExposedMembers(Float64Array.of(1), ['a'], 10)).toHaveLength(1);
  });

  it('assembles a schemaVersion 1 report and a fixed-width findings table', () => {
    const rng = new SeededRandom(1);
    const members = Float64Array.from({ length: 1000 }, () => rng.normal() + 2);
    const nonMembers = Float64Array.from({ length: 1000 }, () => rng.normal());
    const metrics = computeMembershipMetrics(members, nonMembers);
    const finding = buildMembershipFinding({
      attack: { id: 'membership.loss', reference: 'Yeom et al. 2018' },
      scores: { attack: 'membership.loss', members, nonMembers },
      metrics,
      memberRowIds: dataset(1000, 'm').rowIds,
      topExposed: 3,
    });
    expect(finding.mostExposed).toHaveLength(3);
    expect(finding.summary).toContain('1000 training records');
    expect(finding.summary).toContain(`Severity: ${finding.severity}`);

    const report = buildAuditReport({
      targetSha256: 'abc',
      signature,
      members: dataset(1000, 'm'),
      nonMembers: dataset(1000, 'n'),
      labelColumn: 'y',
      attacks: ['membership.loss'],
      seed: 7,
      referenceModels: 4,
      findings: [finding],
      risk: assessRisk([finding]),
      createdAt: new Date('2025-01-02T03:04:05Z'),
    });
    expect(report).toMatchObject({
      schemaVersion: 1,
      tool: { name: 'privaudit', version: toolVersion() },
      createdAt: '2025-01-02T03:04:05.000Z',
      target: { sha256: 'abc', format: 'onnx', nFeatures: 1, numClasses: 2 },
      data: { members: { sha256: 'm', rows: 1000 }, nonMembers: { sha256: 'n', rows: 1000 }, labelColumn: 'y' },
      config: { attacks: ['membership.loss'], seed: 7, referenceModels: 4 },
    });
    expect(toolVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect('population' in report.data).toBe(false);

    const lines = formatFindingsTable(report).split('\n');
    expect(lines[0]).toMatch(/^attack\s+AUC {2}TPR@0\.1%FPR {2}TPR@1%FPR {2}ε LB\* {2}severity$/);
    expect(lines[2]).toContain('membership.loss');
    expect(lines[2]).toContain(metrics.auc.toFixed(3));
    expect(lines[2]).toContain(`${(100 * metrics.tpr['0.01']).toFixed(2)}%`);
    // columns line up: the AUC column ends at the same offset in header and row
    expect(lines[2]!.indexOf(metrics.auc.toFixed(3)) + 5).toBe(lines[0]!.indexOf('AUC') + 3);
    // The ε column says what it is, in words, under the table.
    expect(lines[2]).toContain(metrics.epsilonLowerBound.toFixed(2));
    expect(lines[3]).toMatch(/^\* ε LB: .*heuristic.*not a differential-privacy audit/);
    expect(finding.summary).toMatch(/heuristic indicator .* not a differential-privacy audit/);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^Risk: ${report.risk.score}/100 \\(${report.risk.rating}\\)\\. Driven by membership\\.loss`),
    );
  });
});
