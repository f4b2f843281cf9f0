import { readFileSync } from 'node:fs';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { DIGITS_CNN_ONNX } from '../../../../test/fixtures/models';
import { loadLabeledCsv } from '../data/csv-dataset';
import { selectRows } from '../data/select-rows';
import { OnnxTarget } from '../targets/onnx-target';
import type { ModelInversionMetrics } from '../types';
import { MiFaceAttack, MIFACE_SETTINGS } from './miface-attack';
import { InversionQueryBudget } from './query-budget';
jest.setTimeout(1200_000);
it('tv', async () => {
  const digits = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const bytes = readFileSync(DIGITS_CNN_ONNX);
  const target = await OnnxTarget.load(bytes);
  for (const [tv, lr, it] of [[0.02, 0.05, 300], [0.1, 0.05, 300], [0.3, 0.05, 300], [0.1, 0.02, 300]] as const) {
    const s = MIFACE_SETTINGS as unknown as Record<string, number>;
    s.totalVariation = tv; s.learningRate = lr; s.iterations = it;
    const f = await new MiFaceAttack().run({ target, modelBytes: bytes, members: selectRows(digits, range(0, 300)), nonMembers: selectRows(digits, range(300, 600)), population: selectRows(digits, range(600, digits.nRows)), labelsOnly: false, seed: 7, budget: new InversionQueryBudget(target), topExposed: 5, attacksCompared: 1 });
    const m = f.metrics as ModelInversionMetrics;
    console.log(tv, lr, it, 'recog', m.recognisability.toFixed(2), m.recognisabilityInterval.lower.toFixed(3), 'closer', m.closerToMembers.toFixed(2), m.classesCloserToMembers, 'conf', (m.reconstructions.reduce((a, r) => a + r.confidence, 0) / 30).toFixed(3));
  }
  await target.dispose();
});
