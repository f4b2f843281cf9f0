// A raw-table audit end to end in the engine: the real penguins table (strings, NA cells) split into members
// and non-members, a target trained on the members encoded through data/penguins.preprocessing.json, and
// runAudit given the raw CSVs and the spec. The audit must measure exactly what it measures on the same rows
// already encoded, and report in raw terms (row ids, class names, the raw group column).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  PENGUIN_CLASSES,
  PENGUINS_SPEC,
  penguinsSpec,
  trainPenguinsTarget,
  writePenguinSplit,
  type PenguinSplitFiles,
} from '../../../../test/fixtures/penguins';
import { loadLabeledCsv } from '../data/csv-dataset';
import { EngineError, EngineErrorCode } from '../errors';
import type { LabeledDataset } from '../types';
import { type AuditRequest, planAudit, runAudit } from './run-audit';
import { membershipFindings } from '../report/findings';

// Real training and inference on a shared 2-core machine.
jest.setTimeout(180_000);

/** The dataset written back as a numeric CSV: the pre-encoded table a user without privaudit's spec would need. */
function encodedCsv(ds: LabeledDataset): string {
  const lines = [['id', ...ds.featureNames, 'species'].join(',')];
  for (let r = 0; r < ds.nRows; r++) {
    const row = Array.from(ds.features.subarray(r * ds.nFeatures, (r + 1) * ds.nFeatures), String);
    lines.push([ds.rowIds[r], ...row, ds.labels[r]].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function engineErrorOf(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('expected an EngineError');
}

describe('runAudit on raw tables through a preprocessing spec', () => {
  let dir: string;
  let split: PenguinSplitFiles;
  let model: Uint8Array;
  const specBytes = readFileSync(PENGUINS_SPEC);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'privaudit-penguins-'));
    split = await writePenguinSplit(dir, 3);
    model = await trainPenguinsTarget(split.members, 3);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const request = (extra: Partial<AuditRequest> = {}): AuditRequest => ({
    model,
    members: { path: split.members, name: 'members.csv' },
    nonMembers: { path: split.nonMembers, name: 'nonmembers.csv' },
    labelColumn: 'species',
    idColumn: 'id',
    preprocessing: { name: 'penguins.preprocessing.json', data: specBytes },
    ...extra,
  });

  it('audits the raw CSVs, records the spec, and measures what the same rows pre-encoded give', async () => {
    const report = await runAudit(
      request({
        population: { path: split.population, name: 'population.csv' },
        attacks: ['membership.loss', 'membership.confidence', 'membership.rmia'],
        referenceModels: 2,
        groupColumn: 'sex',
        seed: 4,
      }),
    );
    expect(report.data.preprocessing).toEqual({
      name: 'penguins.preprocessing.json',
      sha256: createHash('sha256').update(specBytes).digest('hex'),
      features: 7,
      inputs: 15,
    });
    // Class names come from the spec's label when the request gives none.
    expect(report.data.classes).toEqual([...PENGUIN_CLASSES]);
    expect(report.target.nFeatures).toBe(15);
    const loss = membershipFindings(report.findings).find((f) => f.attack === 'membership.loss')!;
    expect(loss.mostExposed.length).toBeGreaterThan(0);
    for (const r of loss.mostExposed) expect(r.rowId).toMatch(/^penguin-\d+$/);
    expect(loss.slices?.byClass.map((s) => s.value)).toEqual([...PENGUIN_CLASSES]);
    // The group column is a model input (one-hot) and a slice on its raw values, NA included.
    expect(loss.slices?.byGroup?.map((s) => s.value).sort()).toEqual(expect.arrayContaining(['female', 'male']));

    // The same rows, already encoded, audited without a spec: identical scores, so identical metrics.
    const spec = penguinsSpec();
    const load = (file: string) =>
      loadLabeledCsv(file, { labelColumn: 'species', idColumn: 'id', classes: PENGUIN_CLASSES, preprocessing: spec });
    const encodedFile = (name: string, ds: LabeledDataset) => {
      const file = path.join(dir, `encoded-${name}`);
      writeFileSync(file, encodedCsv(ds));
      return { path: file, name };
    };
    const numeric = await runAudit({
      model,
      members: encodedFile('members.csv', await load(split.members)),
      nonMembers: encodedFile('nonmembers.csv', await load(split.nonMembers)),
      labelColumn: 'species',
      idColumn: 'id',
      attacks: ['membership.loss', 'membership.confidence'],
    });
    for (const attack of ['membership.loss', 'membership.confidence'] as const) {
      const raw = membershipFindings(report.findings).find((f) => f.attack === attack)!;
      const pre = membershipFindings(numeric.findings).find((f) => f.attack === attack)!;
      expect(raw.metrics.auc).toBe(pre.metrics.auc);
      expect(raw.metrics.tpr).toEqual(pre.metrics.tpr);
      // (the raw run also has Song & Mittal privacy risk: its population trained offline references)
      const exposed = (f: typeof raw) => f.mostExposed.map(({ rowId, score, rank }) => ({ rowId, score, rank }));
      expect(exposed(raw)).toEqual(exposed(pre));
    }
  });

  it("without the spec, refuses the raw table: its 7 raw columns are not the model's 15 inputs", async () => {
    const err = await engineErrorOf(
      runAudit({ ...request(), preprocessing: undefined, classes: [...PENGUIN_CLASSES] }),
    );
    expect(err.code).toBe(EngineErrorCode.ModelShapeMismatch);
    expect(err.message).toMatch(/model expects 15 features, members\.csv has 7 feature columns/);
  });

  it('refuses, before loading data, a spec whose width is not the model input width', async () => {
    const spec = JSON.parse(specBytes.toString('utf8')) as { features: unknown[] };
    const narrower = Buffer.from(JSON.stringify({ ...spec, features: spec.features.slice(0, -1) }));
    const err = await engineErrorOf(planAudit(request({ preprocessing: { name: 'narrow.json', data: narrower } })));
    expect(err.code).toBe(EngineErrorCode.ModelShapeMismatch);
    expect(err.message).toBe(
      'preprocessing spec narrow.json encodes 14 model inputs (6 raw columns), but the model file expects 15',
    );
  });

  it('refuses a spec naming another label column, or class names that differ from the request', async () => {
    const other = await engineErrorOf(planAudit(request({ labelColumn: 'island' })));
    expect(other.message).toBe(
      "preprocessing spec penguins.preprocessing.json names label column 'species', the audit names 'island'",
    );
    const reordered = await engineErrorOf(planAudit(request({ classes: ['Gentoo', 'Adelie', 'Chinstrap'] })));
    expect(reordered.code).toBe(EngineErrorCode.InvalidOption);
    expect(reordered.message).toContain('differ from those of preprocessing spec penguins.preprocessing.json');
  });

  it('refuses an unknown category in a raw file with the line and column, never the value', async () => {
    const text = readFileSync(split.nonMembers, 'utf8').split('\n');
    text[5] = (text[5] as string).replace(/,(Biscoe|Dream|Torgersen),/, ',Atlantis,');
    const file = path.join(dir, 'nonmembers-unknown.csv');
    writeFileSync(file, text.join('\n'));
    const err = await engineErrorOf(planAudit(request({ nonMembers: { path: file, name: 'nonmembers.csv' } })));
    expect(err.code).toBe(EngineErrorCode.CsvUnknownCategory);
    expect(err.message).toBe(
      "nonmembers.csv line 6 (row 5), column 'island': value is not one of the 3 categories listed in preprocessing spec penguins.preprocessing.json",
    );
    expect(err.message).not.toContain('Atlantis');
  });
});
