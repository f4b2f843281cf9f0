import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { DIGITS_CSV } from '../../../../test/fixtures/datasets';
import { DIGITS_CNN_ONNX } from '../../../../test/fixtures/models';
import { tinyRandomMlp } from '../../../../test/fixtures/onnx-fixtures';
import { loadLabeledCsv } from '../data/csv-dataset';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { SeededRandom } from '../random/seeded-random';
import { OnnxTarget } from '../targets/onnx-target';
import { type RebuiltGraph, rebuildOnnxGraph } from './onnx-graph-gradient';

function rebuilt(bytes: Uint8Array, nFeatures: number, numClasses: number): RebuiltGraph {
  const r = rebuildOnnxGraph(bytes, nFeatures, numClasses);
  if (!('graph' in r)) throw new Error(`not rebuilt: ${r.unsupported}`);
  return r.graph;
}

/** The rebuilt graph's probabilities equal onnxruntime's on the same rows. */
async function expectSameAsOnnxRuntime(bytes: Uint8Array, rows: Float32Array, nFeatures: number): Promise<void> {
  const target = await OnnxTarget.load(bytes);
  try {
    const { numClasses } = target.signature;
    const graph = rebuilt(bytes, nFeatures, numClasses);
    const nRows = rows.length / nFeatures;
    const answers = await target.predict(rows, nRows);
    for (let r = 0; r < nRows; r++) {
      const p = graph.classLogProbability(rows.subarray(r * nFeatures, (r + 1) * nFeatures), 0).probabilities;
      for (let c = 0; c < numClasses; c++) {
        expect(Math.abs((p[c] as number) - (answers.probabilities[r * numClasses + c] as number))).toBeLessThan(1e-4);
      }
    }
  } finally {
    await target.dispose();
  }
}

/** d log p_c / dx of the whole rebuilt graph against central differences at x. */
function expectGraphGradientMatches(graph: RebuiltGraph, x: Float64Array, c: number, indices: number[]): void {
  const { gradient } = graph.classLogProbability(x, c);
  const h = 1e-5;
  for (const i of indices) {
    const at = (d: number) => {
      const y = Float64Array.from(x);
      y[i] = (y[i] as number) + d;
      return graph.classLogProbability(y, c).logProb;
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs((gradient[i] as number) - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
  }
}

// A hand-built graph with the attributes PyTorch's default export does not use: Sub/Mul standardisation,
// a strided, dilated, asymmetrically padded grouped Conv, MaxPool with ceil_mode, Tanh, Flatten, MatMul + Add,
// and an opset-11 Softmax (flattened axes).
function exoticConvGraph(): Uint8Array {
  const rng = new SeededRandom(23);
  const floats = (name: string, dims: number[]): onnx.ITensorProto => ({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.5),
  });
  const ints = (name: string, values: number[]) => ({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints: values,
  });
  const int = (name: string, value: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
  const model: onnx.IModelProto = {
    irVersion: 6,
    producerName: 'privaudit-test',
    opsetImport: [{ domain: '', version: 11 }],
    graph: {
      name: 'exotic',
      node: [
        { opType: 'Sub', input: ['x', 'mean'], output: ['centred'] },
        { opType: 'Mul', input: ['centred', 'scale'], output: ['scaled'] },
        { opType: 'Reshape', input: ['scaled', 'shape'], output: ['image'] },
        {
          opType: 'Conv',
          input: ['image', 'w1', 'b1'],
          output: ['c1'],
          attribute: [
            ints('kernel_shape', [3, 2]),
            ints('strides', [1, 2]),
            ints('pads', [1, 0, 2, 1]),
            ints('dilations', [2, 1]),
            int('group', 2),
          ],
        },
        { opType: 'Tanh', input: ['c1'], output: ['t1'] },
        {
          opType: 'MaxPool',
          input: ['t1'],
          output: ['p1'],
          attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('ceil_mode', 1)],
        },
        { opType: 'Flatten', input: ['p1'], output: ['flat'], attribute: [int('axis', 1)] },
        { opType: 'MatMul', input: ['flat', 'w2'], output: ['mm'] },
        { opType: 'Add', input: ['mm', 'b2'], output: ['logits'] },
        { opType: 'Softmax', input: ['logits'], output: ['probabilities'], attribute: [int('axis', 1)] },
      ],
      initializer: [
        floats('mean', [36]),
        floats('scale', [36]),
        { name: 'shape', dims: [4], dataType: onnx.TensorProto.DataType.INT64, int64Data: [-1, 2, 6, 3] },
        floats('w1', [4, 1, 3, 2]),
        floats('b1', [4]),
        floats('w2', [4 * 3 * 1, 3]),
        floats('b2', [3]),
      ],
      input: [valueInfo('x', 36)],
      output: [valueInfo('probabilities', 3)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function valueInfo(name: string, width: number): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] },
      },
    },
  };
}

describe('rebuilding an ONNX graph for exact gradients', () => {
  it('the PyTorch-exported CNN (Div, Reshape, Conv, Relu, MaxPool, Flatten, Gemm, Softmax) answers as onnxruntime does', async () => {
    const bytes = readFileSync(DIGITS_CNN_ONNX);
    const digits = await loadLabeledCsv(DIGITS_CSV, { labelColumn: 'digit' });
    const rows = digits.features.subarray(0, 20 * 64);
    await expectSameAsOnnxRuntime(bytes, Float32Array.from(rows), 64);
    const graph = rebuilt(bytes, 64, 10);
    expect([...graph.ops].sort()).toEqual(['Conv', 'Div', 'Flatten', 'Gemm', 'MaxPool', 'Relu', 'Reshape']);
    const x = Float64Array.from(digits.features.subarray(64 * 5, 64 * 6), (v) => v + 0.37);
    expectGraphGradientMatches(graph, x, 3, [0, 10, 19, 27, 36, 45, 54, 63]);
  });

  it('a graph with strides, dilations, asymmetric pads, group 2, ceil_mode and an opset-11 Softmax answers as onnxruntime does', async () => {
    const bytes = exoticConvGraph();
    const rng = new SeededRandom(4);
    const rows = Float32Array.from({ length: 8 * 36 }, () => rng.normal());
    await expectSameAsOnnxRuntime(bytes, rows, 36);
    const graph = rebuilt(bytes, 36, 3);
    expectGraphGradientMatches(graph, Float64Array.from(rows.subarray(0, 36)), 2, [0, 5, 11, 17, 23, 35]);
  });

  it('an MLP written by the engine is rebuilt too, and its gradient is exact', () => {
    const weights = tinyRandomMlp(9, { nFeatures: 6, hidden: [7, 5], numClasses: 4, activation: 'tanh' });
    for (const style of ['gemm', 'gemm-transb', 'matmul-add'] as const) {
      const graph = rebuilt(writeMlpOnnx(weights, { style, output: 'logits' }), 6, 4);
      expectGraphGradientMatches(graph, Float64Array.from([0.3, -1, 2, 0.5, -0.2, 1.1]), 1, [0, 1, 2, 3, 4, 5]);
    }
  });

  it('a graph with an operator it cannot rebuild is refused with the operator named', () => {
    const weights = tinyRandomMlp(9, { nFeatures: 6, hidden: [5], numClasses: 3 });
    const model = onnx.ModelProto.decode(writeMlpOnnx(weights, { style: 'gemm', output: 'softmax' }));
    for (const node of model.graph?.node ?? []) if (node.opType === 'Relu') node.opType = 'LeakyRelu';
    const r = rebuildOnnxGraph(onnx.ModelProto.encode(model).finish(), 6, 3);
    expect(r).toEqual({ unsupported: expect.stringContaining('operator LeakyRelu is not rebuilt') });
  });
});
