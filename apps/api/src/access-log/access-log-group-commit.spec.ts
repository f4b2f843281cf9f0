// The group commit's bookkeeping, with a recording batch writer (the real INSERT is covered by
// test/integration/access-log-group-commit.spec.ts against Postgres).
import type { AccessLogEntry } from '../../../../libs/persistence/src/repositories/access-log.repository';
import { AccessLogGroupCommit } from './access-log-group-commit';

const entry = (n: number): AccessLogEntry => ({
  keyId: '00000000-0000-4000-8000-00000000000a',
  role: 'admin',
  action: 'view',
  resourceType: 'audits',
  resourceId: String(n),
  method: 'GET',
  path: `/audits/${n}`,
  status: 200,
});

/** A writer that records its batches and finishes each when told to. */
function gatedWriter() {
  const batches: Array<{ tenant: string; ids: string[]; done: () => void; fail: (e: unknown) => void }> = [];
  const write = (tenant: string, entries: readonly AccessLogEntry[]) =>
    new Promise<void>((done, fail) =>
      batches.push({ tenant, ids: entries.map((e) => e.resourceId as string), done, fail }),
    );
  return { batches, write };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('AccessLogGroupCommit', () => {
  it('writes entries of the same turn together, and resolves each only once its batch is committed', async () => {
    const { batches, write } = gatedWriter();
    const log = new AccessLogGroupCommit(write);
    let resolved = 0;
    const appended = [1, 2, 3].map((n) => log.append('t1', entry(n)).then(() => resolved++));
    await turn();
    expect(batches.map((b) => b.ids)).toEqual([['1', '2', '3']]);
    expect(resolved).toBe(0);
    batches[0]!.done();
    await Promise.all(appended);
    expect(resolved).toBe(3);
  });

  it('keeps one write in flight per tenant; what arrives meanwhile goes in the next one', async () => {
    const { batches, write } = gatedWriter();
    const log = new AccessLogGroupCommit(write);
    const first = log.append('t1', entry(1));
    await turn();
    const later = [log.append('t1', entry(2)), log.append('t1', entry(3))];
    const other = log.append('t2', entry(9));
    await turn();
    // t1's first write is still open: 2 and 3 wait; t2 has its own write.
    expect(batches.map((b) => [b.tenant, b.ids])).toEqual([
      ['t1', ['1']],
      ['t2', ['9']],
    ]);
    batches[0]!.done();
    await first;
    await turn();
    expect(batches.map((b) => [b.tenant, b.ids])).toEqual([
      ['t1', ['1']],
      ['t2', ['9']],
      ['t1', ['2', '3']],
    ]);
    batches[1]!.done();
    batches[2]!.done();
    await Promise.all([...later, other]);
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const { batches, write } = gatedWriter();
    const log = new AccessLogGroupCommit(write, 2);
    const all = [1, 2, 3, 4, 5].map((n) => log.append('t1', entry(n)));
    for (let i = 0; i < 3; i++) {
      await turn();
      batches[i]!.done();
    }
    await Promise.all(all);
    expect(batches.map((b) => b.ids)).toEqual([['1', '2'], ['3', '4'], ['5']]);
  });

  it('fails every request of a batch that could not be written (never resolves an unwritten entry)', async () => {
    const { batches, write } = gatedWriter();
    const log = new AccessLogGroupCommit(write);
    const results = [1, 2].map((n) =>
      log.append('t1', entry(n)).then(
        () => 'written',
        (e: Error) => e.message,
      ),
    );
    await turn();
    batches[0]!.fail(new Error('connection terminated'));
    expect(await Promise.all(results)).toEqual(['connection terminated', 'connection terminated']);
    // The next entry is written normally.
    const next = log.append('t1', entry(3));
    await turn();
    batches[1]!.done();
    await expect(next).resolves.toBeUndefined();
  });

  it('retries each entry alone after a data error, so only the entry Postgres refuses fails its request', async () => {
    const written: string[][] = [];
    const log = new AccessLogGroupCommit(async (_tenant, entries) => {
      if (entries.some((e) => e.resourceId === 'bad'))
        throw Object.assign(new Error('value too long'), { code: '22001' });
      written.push(entries.map((e) => e.resourceId as string));
    });
    const results = await Promise.allSettled(
      ['a', 'bad', 'c'].map((id) => log.append('t1', { ...entry(0), resourceId: id })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([['a'], ['c']]);
  });
});
