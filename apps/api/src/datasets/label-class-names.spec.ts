import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelClassNames, MAX_LABEL_CLASSES } from './label-class-names';

describe('labelClassNames', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'label-class-names-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(path, text);
    return path;
  };

  it('lists the distinct trimmed values of the label column, in first-seen order', async () => {
    const path = file('x,classes,y\n1,red soil,2\n3, grey soil ,4\n5,red soil,6\n');
    expect(await labelClassNames(path, 'classes', 'd.csv')).toEqual(['red soil', 'grey soil']);
  });

  it(`refuses more than ${MAX_LABEL_CLASSES} distinct values without quoting any`, async () => {
    const rows = Array.from({ length: MAX_LABEL_CLASSES + 1 }, (_, i) => `${i},c${i}`).join('\n');
    await expect(labelClassNames(file(`x,label\n${rows}\n`), 'label', 'd.csv')).rejects.toMatchObject({
      code: 'LABEL_OUT_OF_RANGE',
      message: expect.not.stringMatching(/c\d+/),
    });
  });
});
