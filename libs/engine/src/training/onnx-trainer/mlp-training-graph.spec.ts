import { InferenceSession, Tensor } from 'onnxruntime-node';
import { SeededRandom } from '../../random/seeded-random';
import type { Activation } from '../mlp';
import { buildGradientGraph, stackedParameters, type StackedMlpShape } from './mlp-training-graph';
import { ONNX_SESSION_OPTIONS } from './onnx-mlp-trainer';

jest.setTimeout(60_000);

// Every gradient of the hand-written backward pass, checked against central finite differences of the
// graph's own loss, in double precision: 2 stacked models, 2 hidden layers, a per-model IN mask,
// standardisation folded into the first layer and L2.
const K = 2;
const N = 9;
const WIDTHS = [4, 5, 3, 3];

function fixture(rng: SeededRandom) {
  const d = WIDTHS[0] as number;
  const c = WIDTHS[WIDTHS.length - 1] as number;
  const h1 = WIDTHS[1] as number;
  const features = Float64Array.from({ length: N * d }, () => rng.normal() * 2 + 1);
  const onehot = new Float64Array(N * c);
  for (let i = 0; i < N; i++) onehot[i * c + rng.int(c)] = 1;
  // model 0 trains on rows 0..5, model 1 on rows 3..8 of the batch
  const mask = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    mask[i * K] = i < 6 ? 1 : 0;
    mask[i * K + 1] = i >= 3 ? 1 : 0;
  }
  const scale = Float64Array.from({ length: d * K * h1 }, (_, i) => 0.5 + ((i * 7) % 5) * 0.2);
  const shift = Float64Array.from({ length: d * K * h1 }, (_, i) => ((i * 3) % 7) * 0.1 - 0.3);
  return {
    features: new Tensor('float64', features, [N, d]),
    onehot: new Tensor('float64', onehot, [N, c]),
    mask: new Tensor('float64', mask, [N, K]),
    scale: new Tensor('float64', scale, [d, K * h1]),
    shift: new Tensor('float64', shift, [d, K * h1]),
    // a batch with a repeated row, as a Gather of indices allows
    rows: new Tensor('int64', BigInt64Array.from([0, 2, 3, 5, 6, 8, 3], BigInt), [7]),
  };
}

describe.each<Activation>(['relu', 'tanh', 'sigmoid'])('training graph gradients (%s)', (activation) => {
  it('match central finite differences of the loss for every parameter', async () => {
    const shape: StackedMlpShape = { widths: WIDTHS, k: K, activation, l2: 0.03, elementType: 'float64' };
    const session = await InferenceSession.create(buildGradientGraph(shape), ONNX_SESSION_OPTIONS);
    try {
      const rng = new SeededRandom(activation.length);
      const data = fixture(rng);
      const infos = stackedParameters(WIDTHS, K);
      const params = infos.map((p) =>
        Float64Array.from({ length: p.dims.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.6),
      );
      const run = async (values: Float64Array[]) => {
        const feeds: Record<string, Tensor> = { ...data };
        infos.forEach((p, i) => (feeds[p.name] = new Tensor('float64', values[i] as Float64Array, [...p.dims])));
        return session.run(feeds);
      };
      const out = await run(params);
      const h = 1e-6;
      let checked = 0;
      for (let pi = 0; pi < infos.length; pi++) {
        const grad = out[`grad_${infos[pi]!.name}`]!.data as Float64Array;
        expect(grad.length).toBe(params[pi]!.length);
        for (let j = 0; j < grad.length; j++) {
          const plus = params.map((p) => p.slice());
          const minus = params.map((p) => p.slice());
          plus[pi]![j]! += h;
          minus[pi]![j]! -= h;
          const lossPlus = ((await run(plus)).loss!.data as Float64Array)[0]!;
          const lossMinus = ((await run(minus)).loss!.data as Float64Array)[0]!;
          const numeric = (lossPlus - lossMinus) / (2 * h);
          expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
          checked++;
        }
      }
      expect(checked).toBe(params.reduce((s, p) => s + p.length, 0));
      // the gradients are not trivially zero
      const norms = infos.map((p) => (out[`grad_${p.name}`]!.data as Float64Array).reduce((s, v) => s + v * v, 0));
      for (const norm of norms) expect(norm).toBeGreaterThan(1e-6);
    } finally {
      await session.release();
    }
  });
});

describe('training graph gradients without hidden layers', () => {
  it('match finite differences for multinomial logistic regression', async () => {
    const widths = [4, 3];
    const shape: StackedMlpShape = { widths, k: K, activation: 'relu', l2: 0, elementType: 'float64' };
    const session = await InferenceSession.create(buildGradientGraph(shape), ONNX_SESSION_OPTIONS);
    try {
      const rng = new SeededRandom(5);
      const d = 4;
      const c = 3;
      const features = Float64Array.from({ length: N * d }, () => rng.normal());
      const onehot = new Float64Array(N * c);
      for (let i = 0; i < N; i++) onehot[i * c + (i % c)] = 1;
      const mask = Float64Array.from({ length: N * K }, (_, i) => (i % 3 === 0 ? 0 : 1));
      const ones = new Float64Array(d * K * c).fill(1);
      const zeros = new Float64Array(d * K * c);
      const infos = stackedParameters(widths, K);
      const params = infos.map((p) =>
        Float64Array.from({ length: p.dims.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      );
      const run = (values: Float64Array[]) => {
        const feeds: Record<string, Tensor> = {
          features: new Tensor('float64', features, [N, d]),
          onehot: new Tensor('float64', onehot, [N, c]),
          mask: new Tensor('float64', mask, [N, K]),
          scale: new Tensor('float64', ones, [d, K * c]),
          shift: new Tensor('float64', zeros, [d, K * c]),
          rows: new Tensor('int64', BigInt64Array.from([1, 2, 4, 7], BigInt), [4]),
        };
        infos.forEach((p, i) => (feeds[p.name] = new Tensor('float64', values[i] as Float64Array, [...p.dims])));
        return session.run(feeds);
      };
      const out = await run(params);
      const h = 1e-6;
      for (let pi = 0; pi < infos.length; pi++) {
        const grad = out[`grad_${infos[pi]!.name}`]!.data as Float64Array;
        for (let j = 0; j < grad.length; j++) {
          const plus = params.map((p) => p.slice());
          const minus = params.map((p) => p.slice());
          plus[pi]![j]! += h;
          minus[pi]![j]! -= h;
          const numeric =
            (((await run(plus)).loss!.data as Float64Array)[0]! - ((await run(minus)).loss!.data as Float64Array)[0]!) /
            (2 * h);
          expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
        }
      }
    } finally {
      await session.release();
    }
  });
});

describe.each<Activation>(['relu', 'tanh', 'sigmoid'])(
  'training graph gradients of one model on host-standardised inputs (%s)',
  (activation) => {
    it('match finite differences: the Gemm transA / transB backward path of K = 1, no scale or shift', async () => {
      const widths = [4, 5, 3, 3];
      const shape: StackedMlpShape = {
        widths,
        k: 1,
        activation,
        l2: 0.02,
        elementType: 'float64',
        standardizedInput: true,
      };
      const session = await InferenceSession.create(buildGradientGraph(shape), ONNX_SESSION_OPTIONS);
      try {
        const rng = new SeededRandom(11 + activation.length);
        const d = 4;
        const c = 3;
        const features = Float64Array.from({ length: N * d }, () => rng.normal());
        const onehot = new Float64Array(N * c);
        for (let i = 0; i < N; i++) onehot[i * c + rng.int(c)] = 1;
        const mask = Float64Array.from({ length: N }, (_, i) => (i === 4 ? 0 : 1));
        const infos = stackedParameters(widths, 1);
        const params = infos.map((p) =>
          Float64Array.from({ length: p.dims.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.6),
        );
        const run = (values: Float64Array[]) => {
          const feeds: Record<string, Tensor> = {
            features: new Tensor('float64', features, [N, d]),
            onehot: new Tensor('float64', onehot, [N, c]),
            mask: new Tensor('float64', mask, [N, 1]),
            rows: new Tensor('int64', BigInt64Array.from([0, 1, 3, 4, 6, 8, 1], BigInt), [7]),
          };
          infos.forEach((p, i) => (feeds[p.name] = new Tensor('float64', values[i] as Float64Array, [...p.dims])));
          return session.run(feeds);
        };
        const out = await run(params);
        const h = 1e-6;
        let checked = 0;
        for (let pi = 0; pi < infos.length; pi++) {
          const grad = out[`grad_${infos[pi]!.name}`]!.data as Float64Array;
          expect(grad.length).toBe(params[pi]!.length);
          expect(grad.reduce((s, v) => s + v * v, 0)).toBeGreaterThan(1e-8);
          for (let j = 0; j < grad.length; j++) {
            const plus = params.map((p) => p.slice());
            const minus = params.map((p) => p.slice());
            plus[pi]![j]! += h;
            minus[pi]![j]! -= h;
            const numeric =
              (((await run(plus)).loss!.data as Float64Array)[0]! -
                ((await run(minus)).loss!.data as Float64Array)[0]!) /
              (2 * h);
            expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
            checked++;
          }
        }
        expect(checked).toBe(params.reduce((s, p) => s + p.length, 0));
      } finally {
        await session.release();
      }
    });
  },
);
