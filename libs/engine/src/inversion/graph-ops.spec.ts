import { SeededRandom } from '../random/seeded-random';
import {
  activation,
  binary,
  conv,
  flatten,
  gemm,
  matMul,
  maxPool,
  type OpResult,
  reshape,
  softmax,
  type Tensor,
  tensor,
  UnsupportedGraphError,
  type WindowAttrs,
} from './graph-ops';

const rng = new SeededRandom(17);
const random = (shape: number[]): Tensor =>
  tensor(
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * rng.next() - 1),
  );

/**
 * Checks every input's backward pass against central finite differences of the scalar sum(w * out) for a
 * random weighting w: the vector-Jacobian product the op returns must equal the numeric one for each input entry.
 */
function expectGradientsMatch(op: (inputs: Tensor[]) => OpResult, inputs: Tensor[], check: number[] = []): void {
  const { out, backward } = op(inputs);
  const w = Float64Array.from({ length: out.data.length }, () => 2 * rng.next() - 1);
  const objective = (xs: Tensor[]) => op(xs).out.data.reduce((s, v, i) => s + v * (w[i] as number), 0);
  const grads = backward(w);
  const h = 1e-6;
  inputs.forEach((input, k) => {
    if (check.length > 0 && !check.includes(k)) return;
    const g = grads[k] as Float64Array;
    expect(g).toBeDefined();
    expect(g.length).toBe(input.data.length);
    for (let i = 0; i < input.data.length; i++) {
      const at = (delta: number) =>
        objective(
          inputs.map((t, j) => {
            if (j !== k) return t;
            const data = Float64Array.from(t.data);
            data[i] = (data[i] as number) + delta;
            return { shape: t.shape, data };
          }),
        );
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs((g[i] as number) - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    }
  });
}

describe('graph-ops: forward values', () => {
  it('Conv follows the ONNX definition (pads, strides, dilations, group, SAME_UPPER)', () => {
    // 1 x 1 x 3 x 3 input 1..9, 2 x 2 kernel of ones, pads 1 all round, stride 2: corners of the padded input.
    const x = tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = tensor([1, 1, 2, 2], [1, 1, 1, 1]);
    const y = conv(x, w, undefined, { kernel: [2, 2], pads: [1, 1, 1, 1], strides: [2, 2], group: 1 }).out;
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.data)).toEqual([1, 2 + 3, 4 + 7, 5 + 6 + 8 + 9]);
    // Dilation 2 with a 2 x 2 kernel takes the four corners of the 3 x 3 input.
    const d = conv(x, w, tensor([1], [0.5]), { kernel: [2, 2], dilations: [2, 2], group: 1 }).out;
    expect(Array.from(d.data)).toEqual([1 + 3 + 7 + 9 + 0.5]);
    // SAME_UPPER keeps the size at stride 1.
    const same = conv(x, w, undefined, { kernel: [2, 2], autoPad: 'SAME_UPPER', group: 1 }).out;
    expect(same.shape).toEqual([1, 1, 3, 3]);
    expect(same.data[0]).toBe(1 + 2 + 4 + 5);
    expect(same.data[8]).toBe(9);
    // Depthwise (group = channels): each channel convolved with its own kernel.
    const two = tensor([1, 2, 1, 2], [1, 2, 3, 4]);
    const dw = conv(two, tensor([2, 1, 1, 1], [10, 100]), undefined, { kernel: [1, 1], group: 2 }).out;
    expect(Array.from(dw.data)).toEqual([10, 20, 300, 400]);
  });

  it('MaxPool follows the ONNX definition (padding never wins, ceil_mode)', () => {
    const x = tensor([1, 1, 3, 3], [-1, -2, -3, -4, -5, -6, -7, -8, -9]);
    const y = maxPool(x, { kernel: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] }).out;
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.data)).toEqual([-1, -2, -4, -5]);
    const ceil = maxPool(x, { kernel: [2, 2], strides: [2, 2], ceilMode: true }).out;
    expect(ceil.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(ceil.data)).toEqual([-1, -3, -7, -9]);
    expect(maxPool(x, { kernel: [2, 2], strides: [2, 2] }).out.shape).toEqual([1, 1, 1, 1]);
  });

  it('Reshape copies 0 and infers -1; Flatten splits at its axis; Softmax by opset', () => {
    const x = random([1, 64]);
    expect(reshape(x, [-1, 1, 8, 8], false).out.shape).toEqual([1, 1, 8, 8]);
    expect(reshape(x, [0, 4, -1], false).out.shape).toEqual([1, 4, 16]);
    expect(() => reshape(x, [3, -1], false)).toThrow(UnsupportedGraphError);
    expect(flatten(random([2, 3, 4]), 2).out.shape).toEqual([6, 4]);
    const s = softmax(random([1, 2, 3]), -1, false).out.data;
    expect((s[0] as number) + (s[1] as number) + (s[2] as number)).toBeCloseTo(1, 12);
    const legacy = softmax(random([1, 2, 3]), 1, true).out.data;
    expect(legacy.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('graph-ops: every backward pass matches finite differences', () => {
  it.each(['Relu', 'Sigmoid', 'Tanh'] as const)('%s', (kind) => {
    expectGradientsMatch(([x]) => activation(kind, x as Tensor), [random([2, 7])]);
  });

  it.each(['Add', 'Sub', 'Mul', 'Div'] as const)('%s with broadcasting', (kind) => {
    const b = kind === 'Div' ? tensor([3], [1.5, -2, 0.7]) : random([3]);
    expectGradientsMatch(([x, y]) => binary(kind, x as Tensor, y as Tensor), [random([2, 3]), b]);
    expectGradientsMatch(([x, y]) => binary(kind, x as Tensor, y as Tensor), [random([2, 1, 3]), random([4, 1])]);
  });

  it('MatMul', () => {
    expectGradientsMatch(([a, b]) => matMul(a as Tensor, b as Tensor), [random([2, 5]), random([5, 3])]);
  });

  it('Gemm (alpha, beta, transA, transB, broadcast C)', () => {
    const attrs = { alpha: 0.7, beta: 1.3, transA: true, transB: true };
    expectGradientsMatch(
      ([a, b, c]) => gemm(a as Tensor, b as Tensor, c, attrs),
      [random([5, 2]), random([3, 5]), random([3])],
    );
    expectGradientsMatch(
      ([a, b]) => gemm(a as Tensor, b as Tensor, undefined, { alpha: 1, beta: 1, transA: false, transB: false }),
      [random([1, 4]), random([4, 3])],
    );
  });

  it.each([
    ['opset 13, last axis', -1, false],
    ['opset 13, middle axis', 1, false],
    ['opset < 13, flattened from axis 1', 1, true],
  ] as const)('Softmax (%s)', (_name, axis, legacy) => {
    expectGradientsMatch(([x]) => softmax(x as Tensor, axis, legacy), [random([2, 3, 4])]);
  });

  it('Flatten and Reshape', () => {
    expectGradientsMatch(([x]) => flatten(x as Tensor, 2), [random([1, 2, 3, 2])]);
    expectGradientsMatch(([x]) => reshape(x as Tensor, [-1, 2, 3], false), [random([1, 6])]);
  });

  const convCases: Array<[string, number[], number[], WindowAttrs & { group: number }]> = [
    ['3x3, pad 1', [1, 2, 5, 5], [3, 2, 3, 3], { kernel: [3, 3], pads: [1, 1, 1, 1], group: 1 }],
    [
      'stride 2, asymmetric pads, dilation 2',
      [1, 2, 7, 6],
      [2, 2, 2, 3],
      { kernel: [2, 3], strides: [2, 1], pads: [0, 1, 2, 0], dilations: [2, 2], group: 1 },
    ],
    ['group 2', [1, 4, 4, 4], [6, 2, 3, 3], { kernel: [3, 3], group: 2 }],
    [
      'SAME_LOWER, stride 2',
      [1, 1, 5, 5],
      [2, 1, 2, 2],
      { kernel: [2, 2], strides: [2, 2], autoPad: 'SAME_LOWER', group: 1 },
    ],
    ['1-D', [1, 2, 9], [3, 2, 3], { kernel: [3], strides: [2], pads: [1, 1], group: 1 }],
  ];
  it.each(convCases)('Conv (%s): input, weight and bias', (_name, xShape, wShape, attrs) => {
    const m = wShape[0] as number;
    expectGradientsMatch(
      ([x, w, b]) => conv(x as Tensor, w as Tensor, b, attrs),
      [random(xShape), random(wShape), random([m])],
    );
  });

  const poolCases: Array<[string, number[], WindowAttrs]> = [
    ['2x2 stride 2', [1, 2, 4, 4], { kernel: [2, 2], strides: [2, 2] }],
    ['3x3 stride 1 pad 1', [1, 1, 5, 5], { kernel: [3, 3], pads: [1, 1, 1, 1] }],
    ['ceil_mode, dilation 2', [1, 2, 6, 5], { kernel: [2, 2], strides: [2, 2], dilations: [2, 1], ceilMode: true }],
    ['SAME_UPPER', [1, 1, 5, 5], { kernel: [2, 2], strides: [2, 2], autoPad: 'SAME_UPPER' }],
    ['1-D', [1, 3, 7], { kernel: [2], strides: [2] }],
  ];
  it.each(poolCases)('MaxPool (%s)', (_name, xShape, attrs) => {
    // Random continuous inputs have no ties, so the maximum is differentiable almost surely.
    expectGradientsMatch(([x]) => maxPool(x as Tensor, attrs), [random(xShape)]);
  });
});
