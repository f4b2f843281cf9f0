// White-box MI-Face against a convolutional target. The target, test/fixtures/models/digits-cnn.onnx, was trained
// with PyTorch by test/fixtures/models/train_digits_cnn.py on rows 0-299 of data/digits.csv until it fit them all
// (Div, Reshape, Conv, Relu, MaxPool, Flatten, Gemm, Softmax); the file is committed, so this test needs no torch.
import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { DIGITS_CNN_ONNX } from '../../../../test/fixtures/models';
import { loadLabeledCsv } from '../data/csv-dataset';
import { selectRows } from '../data/select-rows';
import { OnnxTarget } from '../targets/onnx-target';
import type { LabeledDataset, ModelInversionMetrics } from '../types';
import type { InversionAttackContext } from './inversion-attack';
import { MiFaceAttack } from './miface-attack';
import { InversionQueryBudget } from './query-budget';

jest.setTimeout(600_000);

describe('MI-Face on a convolutional digits target', () => {
  let members: LabeledDataset;
  let nonMembers: LabeledDataset;
  let population: LabeledDataset;
  let bytes: Uint8Array;
  let target: OnnxTarget;

  beforeAll(async () => {
    const digits = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    members = selectRows(digits, range(0, 300));
    nonMembers = selectRows(digits, range(300, 600));
    population = selectRows(digits, range(600, digits.nRows));
    bytes = readFileSync(DIGITS_CNN_ONNX);
    target = await OnnxTarget.load(bytes);
  });
  afterAll(async () => {
    await target.dispose();
  });

  const context = (model: OnnxTarget, modelBytes: Uint8Array, budget?: number): InversionAttackContext => ({
    target: model,
    modelBytes,
    members,
    nonMembers,
    population,
    labelsOnly: false,
    seed: 7,
    budget: new InversionQueryBudget(model, budget),
    topExposed: 5,
    attacksCompared: 1,
  });

  it('the overfit CNN fits its members (the fixture is what it says)', async () => {
    const answers = await target.predict(members.features, members.nRows);
    let correct = 0;
    for (let r = 0; r < members.nRows; r++) {
      const p = answers.probabilities.subarray(r * 10, (r + 1) * 10);
      if (p.indexOf(Math.max(...p)) === members.labels[r]) correct++;
    }
    expect(correct / members.nRows).toBeGreaterThan(0.98);
  });

  it('white-box reconstructions through the rebuilt Conv graph are recognised well above chance', async () => {
    const finding = await new MiFaceAttack().run(context(target, bytes));
    const m = finding.metrics as ModelInversionMetrics;
    expect(m.gradients).toBe('white-box');
    expect(m.gradientsNote).toMatch(/Conv.*MaxPool/);
    expect(m.reconstructions).toHaveLength(30);
    expect(m.queriesUsed).toBe(30);
    expect(m.recognisabilityInterval.lower).toBeGreaterThan(m.chance);
  });

  it('a graph with an operator it cannot rebuild falls back to black-box and says why', async () => {
    const model = onnx.ModelProto.decode(bytes);
    for (const node of model.graph?.node ?? []) {
      // LeakyRelu with alpha 0 computes exactly Relu: the same target, an operator white-box does not rebuild.
      if (node.opType === 'Relu') {
        node.opType = 'LeakyRelu';
        node.attribute = [{ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 0 }];
      }
    }
    const leaky = onnx.ModelProto.encode(model).finish();
    const leakyTarget = await OnnxTarget.load(leaky);
    try {
      const attack = new MiFaceAttack({ restarts: 1 });
      const finding = await attack.run(context(leakyTarget, leaky, 10 * 33 * 10 + 10));
      const m = finding.metrics as ModelInversionMetrics;
      expect(m.gradients).toBe('black-box');
      expect(m.gradientsNote).toContain('operator LeakyRelu is not rebuilt');
      expect(m.gradientsNote).toContain('black-box');
      expect(finding.summary).toContain('White-box was not possible: the ONNX graph could not be rebuilt');
      expect(m.queriesUsed).toBeLessThanOrEqual(10 * 33 * 10 + 10);
    } finally {
      await leakyTarget.dispose();
    }
  });
});
