import { onnx } from 'onnx-proto';
import {
  pytorchStyleOnnx,
  softmaxMlpOnnx,
  tinyRandomMlp,
  withFloatDataInitializers,
  withUnknownDomainNode,
} from '../../../../test/fixtures/onnx-fixtures';
import type { MlpWeights } from '../training/mlp';
import { readMlpFromOnnx, writeMlpOnnx } from './mlp-onnx-writer';

function expectSameWeights(actual: MlpWeights | undefined, expected: MlpWeights): void {
  expect(actual).toBeDefined();
  expect(actual?.architecture).toEqual(expected.architecture);
  expected.layers.forEach((layer, i) => {
    const got = actual?.layers[i];
    expect(got?.inputs).toBe(layer.inputs);
    expect(got?.outputs).toBe(layer.outputs);
    expect(Array.from(got?.weights ?? [])).toEqual(Array.from(layer.weights));
    expect(Array.from(got?.bias ?? [])).toEqual(Array.from(layer.bias));
  });
}

describe('writeMlpOnnx', () => {
  it('writes the PyTorch-like layout: opset 17, input "input", output "logits", dynamic batch "batch_size", MatMul+Add', () => {
    const model = onnx.ModelProto.decode(pytorchStyleOnnx(tinyRandomMlp(1)));
    const graph = model.graph as onnx.GraphProto;
    expect(Number(model.opsetImport[0]?.version)).toBe(17);
    expect(graph.input[0]?.name).toBe('input');
    expect(graph.output[0]?.name).toBe('logits');
    expect(graph.input[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('batch_size');
    expect(graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Relu', 'MatMul', 'Add']);
  });

  it('ends the default export in Softmax over Gemm layers', () => {
    const graph = onnx.ModelProto.decode(writeMlpOnnx(tinyRandomMlp(2, { hidden: [6, 4], activation: 'tanh' })))
      .graph as onnx.GraphProto;
    expect(graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Tanh', 'Gemm', 'Softmax']);
  });
});

describe('readMlpFromOnnx', () => {
  const weights = tinyRandomMlp(3, { nFeatures: 5, hidden: [7, 3], numClasses: 4, activation: 'sigmoid' });

  it.each([
    ['gemm + softmax', softmaxMlpOnnx(weights)],
    ['matmul-add + logits', pytorchStyleOnnx(weights, 'matmul-add')],
    ['gemm transB=1 (torch Linear)', pytorchStyleOnnx(weights, 'gemm-transb')],
    ['float_data initializers', withFloatDataInitializers(softmaxMlpOnnx(weights))],
  ])('rebuilds architecture and weights from %s', (_, bytes) => {
    expectSameWeights(readMlpFromOnnx(bytes), weights);
  });

  it('reads a logistic regression (no hidden layer)', () => {
    const logistic = tinyRandomMlp(4, { hidden: [] });
    expectSameWeights(readMlpFromOnnx(writeMlpOnnx(logistic)), logistic);
  });

  it('returns undefined for graphs that are not a plain MLP, and for garbage', () => {
    expect(readMlpFromOnnx(withUnknownDomainNode(softmaxMlpOnnx(weights)))).toBeUndefined();
    expect(readMlpFromOnnx(new TextEncoder().encode('definitely not a model'))).toBeUndefined();
    const model = onnx.ModelProto.decode(softmaxMlpOnnx(weights));
    const graph = model.graph as onnx.GraphProto;
    (graph.node[1] as onnx.NodeProto).opType = 'Elu';
    expect(readMlpFromOnnx(onnx.ModelProto.encode(model).finish())).toBeUndefined();
  });
});
