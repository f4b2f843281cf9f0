import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadLabeledCsv } from '../data/csv-dataset';
import { EngineErrorCode } from '../errors';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { SeededRandom } from '../random/seeded-random';
import { trainMlp } from '../training/mlp-trainer';
import type { ProgressEvent } from '../types';
import { type AuditRequest, type CsvInput, planAudit, runAudit } from './run-audit';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { membershipFindings } from '../report/findings';
import { planAuditReferenceModels } from './distributed-reference-models';

// Real training and inference on a shared 2-core machine.
jest.setTimeout(120_000);

const DIGITS = DIGITS_CSV;

/** digits.csv split by a seeded permutation, with a row id column and a synthetic group column (A/B by row parity). */
function splitDigits(): { train: CsvInput; unseen: CsvInput; population: CsvInput; populationLines: string[] } {
  const [header, ...lines] = readFileSync(DIGITS, 'utf8').trimEnd().split('\n');
  const order = new SeededRandom(77).permutation(lines.length);
  const row = (i: number) => `r${i + 1},${i % 2 === 0 ? 'A' : 'B'},${lines[i]}`;
  const csv = (name: string, from: number, to: number): CsvInput => ({
    name,
    data: Buffer.from([`rid,grp,${header}`, ...order.slice(from, to).map(row)].join('\n') + '\n'),
  });
  return {
    train: csv('train.csv', 0, 300),
    unseen: csv('unseen.csv', 300, 600),
    population: csv('population.csv', 600, 900),
    populationLines: [`rid,grp,${header}`, ...order.slice(600, 900).map(row)],
  };
}

describe('runAudit: slices, per-record risk, reference cache and budget', () => {
  const split = splitDigits();
  let model: Uint8Array;
  let cacheDir: string;

  beforeAll(async () => {
    const train = await loadLabeledCsv(split.train.data as Buffer, {
      labelColumn: 'digit',
      idColumn: 'rid',
      groupColumn: 'grp',
    });
    const weights = await trainMlp(
      train,
      { nFeatures: 64, hidden: [32], numClasses: 10, activation: 'relu' },
      { epochs: 60, batchSize: 32, learningRate: 3e-3, l2: 0, seed: 5 },
    );
    model = writeMlpOnnx(weights);
    cacheDir = mkdtempSync(path.join(tmpdir(), 'privaudit-refcache-'));
  });

  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  const base = (): AuditRequest => ({
    model,
    members: split.train,
    nonMembers: split.unseen,
    labelColumn: 'digit',
    idColumn: 'rid',
    groupColumn: 'grp',
  });

  it('slices every finding by class and by the declared group column, and names the leakiest group', async () => {
    const report = await runAudit({ ...base(), attacks: ['membership.loss'] });
    const finding = membershipFindings(report.findings)[0]!;
    expect(report.data.groupColumn).toBe('grp');
    expect(finding.slices?.byGroup?.map((s) => s.value)).toEqual(['A', 'B']);
    const byGroup = finding.slices!.byGroup!;
    expect(byGroup.reduce((s, g) => s + g.nMembers, 0)).toBe(300);
    expect(byGroup.reduce((s, g) => s + g.nNonMembers, 0)).toBe(300);
    for (const g of byGroup) {
      expect(g.nMembers).toBeGreaterThan(100);
      expect(g.metrics?.auc).toBeGreaterThan(0.5);
      expect(g.metrics).not.toHaveProperty('rocPoints');
    }
    expect(finding.slices!.byClass.map((s) => s.value)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(finding.slices!.byClass.reduce((s, c) => s + c.nMembers, 0)).toBe(300);
    // The group named in the summary is the one with the highest lower bound on TPR at 1% FPR.
    const worst = [...byGroup].sort(
      (a, b) =>
        b.metrics!.tprInterval['0.01'].lower - a.metrics!.tprInterval['0.01'].lower || b.metrics!.auc - a.metrics!.auc,
    )[0]!;
    expect(finding.summary).toContain(`By 'grp', group '${worst.value}' leaks most of the 2 measured groups`);
    // The group column is kept aside, not fed to the model as a feature.
    expect(report.target.nFeatures).toBe(64);
  });

  it('RMIA with a reference cache: privacy risk per exposed record, and a re-audit trains nothing and reports the same numbers', async () => {
    const events: ProgressEvent[] = [];
    const request: AuditRequest = {
      ...base(),
      population: split.population,
      attacks: ['membership.rmia'],
      referenceModels: 2,
      seed: 4,
      topExposed: 5,
      referenceCacheDir: cacheDir,
    };
    const first = await runAudit(request, { onProgress: (e) => events.push(e) });
    expect(first.config.referenceCost).toMatchObject({
      sets: [{ mode: 'offline', k: 2 }],
      modelsToTrain: 2,
      modelsCached: 0,
      modelsTrained: 2,
    });
    expect(first.config.referenceCost!.estimatedSeconds).toBeGreaterThan(0);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.mlp'))).toHaveLength(2);

    // The estimate is announced before training; training reports per model, labelled with its mode.
    const planAt = events.findIndex((e) => e.phase === 'plan');
    const firstTraining = events.findIndex((e) => e.phase === 'reference-models:offline');
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(events[planAt]!.message).toMatch(/2 offline .*estimated \d+ s/);
    expect(firstTraining).toBeGreaterThan(planAt);
    expect(events.filter((e) => e.phase === 'reference-models:offline').map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^model 2\/2/)]),
    );

    // Song & Mittal posterior alongside the attack score, for row ids only.
    const exposed = membershipFindings(first.findings)[0]!.mostExposed;
    expect(exposed).toHaveLength(5);
    for (const r of exposed) {
      expect(Object.keys(r).sort()).toEqual(['privacyRisk', 'rank', 'rowId', 'score']);
      expect(r.privacyRisk).toBeGreaterThanOrEqual(0);
      expect(r.privacyRisk).toBeLessThanOrEqual(1);
    }
    // Members the model memorised should mostly look like members to the risk score too.
    const meanRisk = exposed.reduce((s, r) => s + r.privacyRisk!, 0) / exposed.length;
    expect(meanRisk).toBeGreaterThan(0.5);

    const again = await runAudit(request);
    expect(again.config.referenceCost).toMatchObject({ modelsToTrain: 2, modelsCached: 2, modelsTrained: 0 });
    expect(again.findings.map((f) => f.metrics)).toEqual(first.findings.map((f) => f.metrics));
    expect(membershipFindings(again.findings)[0]!.mostExposed).toEqual(exposed);
  });

  it('refuses an audit over its reference-model budget before training anything', async () => {
    const emptyDir = path.join(cacheDir, 'budget');
    const events: ProgressEvent[] = [];
    const request: AuditRequest = {
      ...base(),
      population: split.population,
      attacks: ['membership.rmia', 'membership.lira'],
      referenceModels: 4,
      referenceCacheDir: emptyDir,
      maxReferenceSeconds: 0.01,
    };
    await expect(runAudit(request, { onProgress: (e) => events.push(e) })).rejects.toMatchObject({
      code: EngineErrorCode.BudgetExceeded,
      message: expect.stringMatching(/training 8 reference models is estimated at \d+ s, over the budget of 0\.01 s/),
    });
    expect(existsSync(emptyDir) ? readdirSync(emptyDir) : []).toEqual([]);
    expect(events.some((e) => e.phase.startsWith('reference-models') || e.phase === 'load-model')).toBe(false);

    // The dry run says the same without refusing.
    const plan = await planAudit(request);
    expect(plan).toMatchObject({
      attacks: ['membership.rmia', 'membership.lira'],
      referenceModels: [
        { mode: 'online', k: 4 },
        { mode: 'offline', k: 4 },
      ],
      estimate: { modelsToTrain: 8 },
      withinBudget: false,
    });
    expect(plan.estimate.estimatedSeconds).toBeGreaterThan(0.01);
    // The same call lists every model with its cache key and per-model cost: what the service prices and queues,
    // the same plan as the fan-out's planAuditReferenceModels (one prepareAudit, not two).
    expect(plan.referenceModelPlan).toEqual(await planAuditReferenceModels(request));
    expect(plan.referenceModelPlan.models).toHaveLength(8);
    expect(new Set(plan.referenceModelPlan.models.map((m) => m.key)).size).toBe(8);
    const cheap = await planAudit({ ...base(), attacks: ['membership.loss'] });
    expect(cheap).toEqual({
      attacks: ['membership.loss'],
      referenceModels: [],
      estimate: { modelsToTrain: 0, estimatedSeconds: 0 },
      referenceModelPlan: { k: 4, seed: expect.any(Number), models: [], secondsPerModel: {} },
      withinBudget: true,
    });
  });

  it('audits a population that repeats audited records under other ids: counted, left out by default, kept on request', async () => {
    const [header, ...rows] = split.populationLines;
    const memberLines = (split.train.data as Buffer).toString('utf8').trimEnd().split('\n').slice(1, 3);
    // Same content as two members, under new row ids (and another group value) in the population.
    const copies = memberLines.map((line, i) => line.replace(/^r\d+,[AB],/, `dup${i + 1},A,`));
    const population: CsvInput = {
      name: 'population.csv',
      data: Buffer.from([header, ...rows, ...copies].join('\n') + '\n'),
    };
    const excluded = await runAudit({ ...base(), population, attacks: ['membership.loss'] });
    expect(excluded.data.duplicates).toMatchObject({
      policy: 'exclude',
      populationMatchingAudited: 2,
      excludedPopulation: 2,
      nonMembersMatchingMembers: 0,
    });
    expect(excluded.data.population?.rows).toBe(rows.length + 2);
    const kept = await runAudit({ ...base(), population, attacks: ['membership.loss'], duplicates: 'keep' });
    expect(kept.data.duplicates).toMatchObject({ policy: 'keep', populationMatchingAudited: 2, excludedPopulation: 0 });

    // The same row id in two roles is still a mix-up of the splits.
    const sameId = memberLines[0]!.replace(/^(r\d+),[AB],/, '$1,A,');
    const mixedUp = runAudit({
      ...base(),
      population: { name: 'population.csv', data: Buffer.from([header, ...rows, sameId].join('\n') + '\n') },
      attacks: ['membership.loss'],
    });
    await expect(mixedUp).rejects.toMatchObject({ code: EngineErrorCode.PopulationOverlapsAudit });
    const message = await mixedUp.catch((e: Error) => e.message);
    expect(message).toContain('population.csv');
    expect(message).not.toMatch(/,\d+,\d+,\d+/); // no cell values

    // Population labels must be classes of the model too.
    const badLabel = rows[0]!.replace(/,\d+$/, ',10');
    await expect(
      runAudit({
        ...base(),
        population: {
          name: 'population.csv',
          data: Buffer.from([header, badLabel, ...rows.slice(1)].join('\n') + '\n'),
        },
        attacks: ['membership.rmia'],
      }),
    ).rejects.toMatchObject({ code: EngineErrorCode.LabelOutOfRange, location: { file: 'population.csv' } });
  });
});
