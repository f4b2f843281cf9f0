import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  PENGUINS_SPEC,
  trainPenguinsTarget,
  type PenguinSplitFiles,
  writePenguinSplit,
} from '../../../../test/fixtures/penguins';
import { EngineErrorCode } from '../errors';
import type { AttributeInferenceMetrics, InversionFinding } from '../types';
import { type AuditRequest, planAudit, runAudit } from './run-audit';

jest.setTimeout(300_000);

describe('runAudit with inversion attacks', () => {
  let dir: string;
  let split: PenguinSplitFiles;
  let model: Uint8Array;
  const specBytes = readFileSync(PENGUINS_SPEC);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'privaudit-inversion-audit-'));
    split = await writePenguinSplit(dir, 3);
    model = await trainPenguinsTarget(split.members, 3);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const request = (extra: Partial<AuditRequest> = {}): AuditRequest => ({
    model,
    members: { path: split.members, name: 'members.csv' },
    nonMembers: { path: split.nonMembers, name: 'nonmembers.csv' },
    population: { path: split.population, name: 'population.csv' },
    labelColumn: 'species',
    idColumn: 'id',
    preprocessing: { name: 'penguins.preprocessing.json', data: specBytes },
    attacks: ['membership.loss', 'inversion.attribute'],
    sensitiveColumn: 'sex',
    seed: 2,
    ...extra,
  });

  it('runs attribute inference on a raw column after the membership attacks, with the contract metrics', async () => {
    const phases: string[] = [];
    const report = await runAudit(request(), { onProgress: (e) => phases.push(e.phase) });
    expect(report.config.attacks).toEqual(['membership.loss', 'inversion.attribute']);
    expect(report.findings.map((f) => f.kind)).toEqual(['membership', 'inversion']);
    const finding = report.findings[1] as InversionFinding;
    const m = finding.metrics as AttributeInferenceMetrics;
    for (const key of ['memberAccuracy', 'nonMemberAccuracy', 'baselineAccuracy', 'advantage'] as const) {
      expect(m[key]).toEqual(expect.any(Number));
    }
    expect(m.advantageCi[0]).toBeLessThanOrEqual(m.advantage);
    expect(m.advantageCi[1]).toBeGreaterThanOrEqual(m.advantage);
    expect(m.sensitiveColumn).toBe('sex');
    expect(finding.exposure.rationale).toContain("'sex'");
    expect(phases).toContain('attack:inversion.attribute');
    expect(report.config.inversion).toEqual({ sensitiveColumn: 'sex' });
  });

  it('runs MI-Face on the tabular target and writes model inputs and raw columns, no PNG', async () => {
    const out = path.join(dir, 'recon');
    const report = await runAudit(
      request({ attacks: ['inversion.miface'], inversionOutDir: out, inversionRestarts: 2 }),
    );
    const finding = report.findings[0] as InversionFinding;
    expect(finding.kind).toBe('inversion');
    expect(finding.metrics.type).toBe('model-inversion');
    expect(finding.metrics.type === 'model-inversion' && finding.metrics.reconstructions).toHaveLength(6);
    expect(report.config.inversion?.restarts).toBe(2);
    expect(readdirSync(out).sort()).toEqual(
      [0, 1, 2].flatMap((c) => [`miface-class-${c}.csv`, `miface-class-${c}.raw.csv`]).sort(),
    );
    const [header, ...rows] = readFileSync(path.join(out, 'miface-class-2.raw.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,island,sex,year,species,restart');
    expect(rows).toHaveLength(2);
    const cells = (rows[1] as string).split(',');
    expect(['female', 'male']).toContain(cells[5]);
    expect(cells[7]).toBe('Gentoo');
    expect(cells[8]).toBe('1');
  });

  it('refuses out-of-range MI-Face restarts before the model runs, naming the option', async () => {
    for (const inversionRestarts of [0, 51, 2.5]) {
      await expect(planAudit(request({ attacks: ['inversion.miface'], inversionRestarts }))).rejects.toMatchObject({
        code: EngineErrorCode.InvalidOption,
        message: expect.stringContaining('--inversion-restarts must be a whole number from 1 to 50'),
      });
    }
  });

  it('refuses, before the model runs, a missing sensitive column option, a bad column, no population, and MI-Face on labels', async () => {
    await expect(planAudit(request({ sensitiveColumn: undefined }))).rejects.toMatchObject({
      code: EngineErrorCode.InvalidOption,
      message: expect.stringContaining('--sensitive-column'),
    });
    await expect(planAudit(request({ sensitiveColumn: 'island_x' }))).rejects.toMatchObject({
      code: EngineErrorCode.CsvMissingColumn,
    });
    await expect(planAudit(request({ population: undefined }))).rejects.toMatchObject({
      code: EngineErrorCode.AttackNeedsPopulation,
    });
    await expect(planAudit(request({ attacks: ['inversion.miface'], outputPolicy: 'labels' }))).rejects.toMatchObject({
      code: EngineErrorCode.AttackNeedsScores,
    });
  });
});
