import { EngineError, EngineErrorCode } from '../errors';
import type { ModelSignature, TargetModel, TargetOutputs } from '../types';
import {
  applyOutputPolicy,
  formatOutputPolicy,
  OutputPolicyTarget,
  parseOutputPolicy,
  withOutputPolicy,
} from './output-policy';

const SIGNATURE: ModelSignature = {
  inputName: 'features',
  nFeatures: 2,
  numClasses: 4,
  outputName: 'probabilities',
  outputKind: 'probabilities',
  logitsTensorName: 'dense_1/Gemm_output_0',
  opset: 13,
};

// Two rows of four classes; the second has a tie between classes 1 and 2 for second place.
const PROBABILITIES = Float32Array.from([0.06, 0.71, 0.15, 0.08, 0.5, 0.2, 0.2, 0.1]);
const LOGITS = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

/** A target that answers fixed outputs and records whether it was disposed. */
class FixedTarget implements TargetModel {
  disposed = false;
  calls = 0;
  constructor(
    readonly signature: ModelSignature,
    private readonly outputs: TargetOutputs,
  ) {}
  async predict(): Promise<TargetOutputs> {
    this.calls++;
    return this.outputs;
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function invalidOption(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).code).toBe(EngineErrorCode.InvalidOption);
    expect((e as EngineError).message).toMatch(message);
    return;
  }
  throw new Error('expected an InvalidOption EngineError');
}

describe('parseOutputPolicy', () => {
  it.each([
    ['labels', { kind: 'labels' }],
    ['top-k:1', { kind: 'top-k', k: 1 }],
    ['top-k:3', { kind: 'top-k', k: 3 }],
    ['round:1', { kind: 'round', decimals: 1 }],
    [' round:7 ', { kind: 'round', decimals: 7 }],
  ])('parses %s', (text, policy) => {
    expect(parseOutputPolicy(text)).toEqual(policy);
    expect(formatOutputPolicy(parseOutputPolicy(text))).toBe(text.trim());
  });

  it('refuses anything else with a message naming the policy and what is expected', () => {
    invalidOption(
      () => parseOutputPolicy('label'),
      /output policy 'label': expected 'labels', 'top-k:<k>' or 'round:<decimals>'/,
    );
    invalidOption(() => parseOutputPolicy(''), /expected 'labels'/);
    invalidOption(() => parseOutputPolicy('top-k'), /expected 'labels'/);
    invalidOption(() => parseOutputPolicy('top-k:'), /top-k needs a whole number/);
    invalidOption(() => parseOutputPolicy('top-k:1.5'), /top-k needs a whole number/);
    invalidOption(() => parseOutputPolicy('top-k:-1'), /top-k needs a whole number/);
    invalidOption(() => parseOutputPolicy('top-k:0'), /k must be at least 1/);
    invalidOption(() => parseOutputPolicy('round:0'), /decimals must be from 1 to 7/);
    invalidOption(() => parseOutputPolicy('round:8'), /decimals must be from 1 to 7/);
    invalidOption(() => parseOutputPolicy('round:x'), /round needs a whole number/);
  });
});

describe('applyOutputPolicy', () => {
  const outputs = { probabilities: PROBABILITIES, logits: LOGITS };

  it('labels: one-hot of the argmax, no logits', () => {
    const out = applyOutputPolicy({ kind: 'labels' }, outputs, 2, 4);
    expect(Array.from(out.probabilities)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    expect(out.logits).toBeUndefined();
  });

  it('top-k: keeps the k largest unnormalised, zeroes the rest (ties to the lower class), no logits', () => {
    const out = applyOutputPolicy({ kind: 'top-k', k: 2 }, outputs, 2, 4);
    expect(Array.from(out.probabilities)).toEqual(Array.from(Float32Array.from([0, 0.71, 0.15, 0, 0.5, 0.2, 0, 0])));
    expect(out.logits).toBeUndefined();
    const top1 = applyOutputPolicy({ kind: 'top-k', k: 1 }, outputs, 2, 4);
    expect(Array.from(top1.probabilities)).toEqual(Array.from(Float32Array.from([0, 0.71, 0, 0, 0.5, 0, 0, 0])));
  });

  it('round: probabilities rounded to d decimals, exact zeros and ones included, no logits', () => {
    const out = applyOutputPolicy({ kind: 'round', decimals: 1 }, outputs, 2, 4);
    expect(Array.from(out.probabilities)).toEqual(
      Array.from(Float32Array.from([0.1, 0.7, 0.2, 0.1, 0.5, 0.2, 0.2, 0.1])),
    );
    expect(out.logits).toBeUndefined();
    const saturated = applyOutputPolicy(
      { kind: 'round', decimals: 2 },
      { probabilities: Float32Array.from([0.9991, 0.0004, 0.0005]) },
      1,
      3,
    );
    expect(Array.from(saturated.probabilities)).toEqual([1, 0, 0]);
  });

  it('leaves the inner outputs untouched', () => {
    const copy = Float32Array.from(PROBABILITIES);
    applyOutputPolicy({ kind: 'round', decimals: 1 }, outputs, 2, 4);
    expect(PROBABILITIES).toEqual(copy);
  });
});

describe('OutputPolicyTarget', () => {
  it('labels: signature says labels and hides the logits tensor; predictions are one-hot; dispose passes through', async () => {
    const inner = new FixedTarget(SIGNATURE, { probabilities: PROBABILITIES, logits: LOGITS });
    const target = new OutputPolicyTarget(inner, { kind: 'labels' });
    expect(target.signature.outputKind).toBe('labels');
    expect(target.signature.logitsTensorName).toBeUndefined();
    expect(target.signature).toMatchObject({ nFeatures: 2, numClasses: 4, inputName: 'features', opset: 13 });
    const out = await target.predict(new Float32Array(4), 2);
    expect(Array.from(out.probabilities)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    expect(out.logits).toBeUndefined();
    expect(inner.calls).toBe(1);
    await target.dispose();
    expect(inner.disposed).toBe(true);
  });

  it('top-k and round: signature says probabilities (the logits are gone)', async () => {
    const inner = new FixedTarget(SIGNATURE, { probabilities: PROBABILITIES, logits: LOGITS });
    for (const policy of [parseOutputPolicy('top-k:2'), parseOutputPolicy('round:2')]) {
      const target = new OutputPolicyTarget(inner, policy);
      expect(target.signature.outputKind).toBe('probabilities');
      expect(target.signature.logitsTensorName).toBeUndefined();
      expect((await target.predict(new Float32Array(4), 2)).logits).toBeUndefined();
    }
  });

  it('a labels-only model stays labels-only under top-k or rounding', () => {
    const inner = new FixedTarget({ ...SIGNATURE, outputKind: 'labels' }, { probabilities: PROBABILITIES });
    expect(new OutputPolicyTarget(inner, { kind: 'round', decimals: 1 }).signature.outputKind).toBe('labels');
  });

  it('refuses top-k that keeps every class of the model', () => {
    const inner = new FixedTarget(SIGNATURE, { probabilities: PROBABILITIES });
    invalidOption(
      () => new OutputPolicyTarget(inner, { kind: 'top-k', k: 4 }),
      /keeps every class of a 4-class model; choose k below 4/,
    );
  });

  it('withOutputPolicy returns the target itself without a policy', () => {
    const inner = new FixedTarget(SIGNATURE, { probabilities: PROBABILITIES });
    expect(withOutputPolicy(inner, undefined)).toBe(inner);
    expect(withOutputPolicy(inner, { kind: 'labels' })).toBeInstanceOf(OutputPolicyTarget);
  });
});
