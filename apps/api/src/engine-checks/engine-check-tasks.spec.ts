import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import { runEngineCheck, unwrapEngineCheck } from './engine-check-tasks';

// What crosses the check thread's boundary is plain data (structured clone keeps no Error subclass nor its
// fields): the engine's error must come back with the same code, message and location.
describe('engine checks as plain data', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'privaudit-engine-checks-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a dataset refused by the engine comes back as the same EngineError, through a structured clone', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, 'a,label\n1,0\n2,1,3\n');
    const outcome = structuredClone(
      await runEngineCheck('dataset', { path, fileLabel: 'bad.csv', labelColumn: 'label' }),
    );
    expect(outcome.ok).toBe(false);
    let thrown: unknown;
    try {
      unwrapEngineCheck(outcome);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({
      code: EngineErrorCode.CsvColumnCount,
      message: 'bad.csv line 3: 3 fields, header has 2',
      location: { file: 'bad.csv', line: 3 },
    });
  });

  it('a valid dataset comes back as its schema', async () => {
    const path = join(dir, 'ok.csv');
    writeFileSync(path, `id,a,label\n${Array.from({ length: 10 }, (_, i) => `r${i},${i},${i % 2}`).join('\n')}\n`);
    const outcome = structuredClone(
      await runEngineCheck('dataset', { path, fileLabel: 'ok.csv', labelColumn: 'label', idColumn: 'id' }),
    );
    expect(unwrapEngineCheck(outcome)).toMatchObject({ rows: 10 });
  });

  it('anything else comes back as an internal error without the engine code', () => {
    expect(() => unwrapEngineCheck({ ok: false, error: { kind: 'internal', message: 'boom' } })).toThrow(
      'engine check failed: boom',
    );
  });
});
