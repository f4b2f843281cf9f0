// The supervisor and its abort signal, with the real fork (the sandbox probe under test/fixtures stands in for the
// audit child).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditChildInput } from './audit-child-messages';
import { AuditChildFailure, runAuditInChild } from './audit-child-process';

const PROBE = join(__dirname, '../../../test/fixtures/sandbox-probe-child.js');

const input = (dir: string): AuditChildInput => ({
  modelPath: join(dir, 'model.onnx'),
  members: { path: join(dir, 'members.csv'), name: 'members.csv' },
  nonMembers: { path: join(dir, 'non-members.csv'), name: 'non-members.csv' },
  labelColumn: 'label',
  seed: 1,
  maxModelBytes: 1024,
  attacks: ['membership.loss'],
});

describe('runAuditInChild and its abort signal', () => {
  it('forks nothing when the signal is aborted while the inputs are prepared (the audit cancelled meanwhile)', async () => {
    const abort = new AbortController();
    const spawned: number[] = [];
    let scratch = '';
    const run = runAuditInChild(
      async (dir) => {
        scratch = dir;
        abort.abort(); // the cancel lands while the worker is still opening the audit's datasets
        return input(dir);
      },
      {
        memoryLimitMb: 64,
        sandbox: { addressSpaceMb: 4096, cpuSeconds: 60, isolateNetwork: false, nice: 0 },
        entry: PROBE,
        timeoutMs: 60_000,
        signal: abort.signal,
        onProgress: () => undefined,
        onSpawn: (pid) => spawned.push(pid),
      },
    );
    await expect(run).rejects.toEqual(new AuditChildFailure('aborted', 'AUDIT_ABORTED', 'the audit was stopped'));
    await expect(run).rejects.toMatchObject({ kind: 'aborted' });
    expect(spawned).toEqual([]);
    expect(scratch).not.toBe('');
    expect(existsSync(scratch)).toBe(false);
  });
});
