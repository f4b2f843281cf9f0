import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLabeledCsv } from '../../../libs/engine/src/data/csv-dataset';
import { equivalentCommand } from './audit-command-line';
import { DEMO_MEMBERS, DEMO_NON_MEMBERS, splitDemoRows, writeSplitCsv } from './demo-split';

describe('demo split', () => {
  it('partitions every row exactly once, reproducibly from the seed', () => {
    const split = splitDemoRows(1797, 5);
    expect(split.members).toHaveLength(DEMO_MEMBERS);
    expect(split.nonMembers).toHaveLength(DEMO_NON_MEMBERS);
    expect(split.population).toHaveLength(1797 - DEMO_MEMBERS - DEMO_NON_MEMBERS);
    const all = [...split.members, ...split.nonMembers, ...split.population].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1797 }, (_, i) => i));
    expect(splitDemoRows(1797, 5)).toEqual(split);
    expect(splitDemoRows(1797, 6).members).not.toEqual(split.members);
  });

  it('writes CSVs the audit loads back with the same features, labels and ids', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-demo-'));
    try {
      const source = await loadLabeledCsv(Buffer.from('p0,p1,digit\n1,2,3\n4,5,6\n7,8,9\n'), { labelColumn: 'digit' });
      const file = path.join(dir, 'members.csv');
      await writeSplitCsv(file, source, [2, 0], 'digit', 'id');
      const back = await loadLabeledCsv(file, { labelColumn: 'digit', idColumn: 'id' });
      expect(back.featureNames).toEqual(['p0', 'p1']);
      expect(Array.from(back.features)).toEqual([7, 8, 1, 2]);
      expect(Array.from(back.labels)).toEqual([9, 3]);
      expect(back.rowIds).toEqual(['digit-3', 'digit-1']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('prints a command line that can be pasted, quoting only where needed', () => {
    const line = equivalentCommand({
      model: '.demo/target.onnx',
      members: 'my data/members.csv',
      nonMembers: '.demo/nonmembers.csv',
      label: 'digit',
      attacks: ['membership.loss', 'membership.rmia'],
      seed: 1,
      out: '.demo/report.json',
    });
    expect(line).toBe(
      "privaudit audit --model .demo/target.onnx --members 'my data/members.csv' --nonmembers .demo/nonmembers.csv --label digit --attacks membership.loss,membership.rmia --seed 1 --out .demo/report.json",
    );
  });
});
