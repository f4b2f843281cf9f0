import { onnx } from 'onnx-proto';
import {
  pytorchStyleOnnx,
  softmaxMlpOnnx,
  tinyRandomMlp,
  truncatedBytes,
  withExternalDataInitializer,
  withFixedBatch,
  withUnknownDomainNode,
} from '../../../../test/fixtures/onnx-fixtures';
import { EngineError, EngineErrorCode } from '../errors';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { assertCompatible, inspectOnnx } from './onnx-inspection';

function engineErrorOf(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

const weights = tinyRandomMlp(11, { nFeatures: 6, hidden: [8], numClasses: 3 });

describe('inspectOnnx signatures', () => {
  it('reads a softmax-terminated export as probabilities with the Softmax input as logits tensor', () => {
    const sig = inspectOnnx(softmaxMlpOnnx(weights));
    expect(sig).toMatchObject({
      inputName: 'features',
      nFeatures: 6,
      numClasses: 3,
      outputName: 'probabilities',
      outputKind: 'probabilities',
      opset: 13,
    });
    expect(sig.logitsTensorName).toBe('dense_1/Gemm_output_0');
  });

  it('reads a PyTorch-style export as logits', () => {
    const sig = inspectOnnx(pytorchStyleOnnx(weights));
    expect(sig).toMatchObject({
      inputName: 'input',
      outputName: 'logits',
      outputKind: 'logits',
      opset: 17,
      producer: 'pytorch',
    });
    expect(sig.logitsTensorName).toBeUndefined();
  });

  it('sees through Identity nodes after the Softmax', () => {
    const model = onnx.ModelProto.decode(softmaxMlpOnnx(weights));
    const graph = model.graph as onnx.GraphProto;
    const softmax = graph.node[graph.node.length - 1] as onnx.NodeProto;
    softmax.output = ['softmax_out'];
    graph.node.push(onnx.NodeProto.create({ opType: 'Identity', input: ['softmax_out'], output: ['probabilities'] }));
    const sig = inspectOnnx(onnx.ModelProto.encode(model).finish());
    expect(sig.outputKind).toBe('probabilities');
    expect(sig.logitsTensorName).toBe('dense_1/Gemm_output_0');
  });

  it('accepts a batch dimension fixed to 1', () => {
    expect(inspectOnnx(withFixedBatch(pytorchStyleOnnx(weights), 1)).nFeatures).toBe(6);
  });
});

describe('inspectOnnx refusals', () => {
  const good = softmaxMlpOnnx(weights);

  it('refuses bytes that are not ONNX', () => {
    const err = engineErrorOf(() =>
      inspectOnnx(new TextEncoder().encode('PK\u0003\u0004 this is a zip, not a model'), { fileLabel: 'model.onnx' }),
    );
    expect(err.code).toBe(EngineErrorCode.ModelNotOnnx);
    expect(err.message).toContain('model.onnx');
    expect(engineErrorOf(() => inspectOnnx(new Uint8Array(0))).code).toBe(EngineErrorCode.ModelNotOnnx);
  });

  it.each([0.5, 0.9, 0.99])('refuses a model cut at %p of its bytes as truncated', (fraction) => {
    const big = softmaxMlpOnnx(tinyRandomMlp(12, { nFeatures: 30, hidden: [40], numClasses: 5 }));
    const err = engineErrorOf(() => inspectOnnx(truncatedBytes(big, fraction), { fileLabel: 'model.onnx' }));
    expect(err.code).toBe(EngineErrorCode.ModelTruncated);
    expect(err.message).toMatch(/^model\.onnx: .*truncated/);
  });

  it('refuses external-data tensors, naming the tensor but not the path', () => {
    const err = engineErrorOf(() => inspectOnnx(withExternalDataInitializer(good)));
    expect(err.code).toBe(EngineErrorCode.ModelExternalData);
    expect(err.message).toContain('dense_0/kernel');
    expect(err.message).not.toContain('passwd');
  });

  it('refuses operators from unknown domains, naming the domain', () => {
    const err = engineErrorOf(() => inspectOnnx(withUnknownDomainNode(good, 'com.evil')));
    expect(err.code).toBe(EngineErrorCode.ModelUnknownOperatorDomain);
    expect(err.message).toContain("'com.evil'");
  });

  it('refuses a model over the size limit before decoding it', () => {
    const err = engineErrorOf(() => inspectOnnx(good, { maxBytes: 100 }));
    expect(err.code).toBe(EngineErrorCode.ModelTooLarge);
    expect(err.message).toContain('100');
  });

  it('refuses a batch dimension fixed to a value other than 1', () => {
    const err = engineErrorOf(() => inspectOnnx(withFixedBatch(good, 32)));
    expect(err.code).toBe(EngineErrorCode.ModelUnsupportedSignature);
    expect(err.message).toContain('batch dimension to 32');
  });

  it('refuses a non-float input, a single-class output and an old opset', () => {
    const intInput = onnx.ModelProto.decode(good);
    const tensorType = (intInput.graph as onnx.GraphProto).input[0]?.type?.tensorType as onnx.TypeProto.Tensor;
    tensorType.elemType = onnx.TensorProto.DataType.INT64;
    const e1 = engineErrorOf(() => inspectOnnx(onnx.ModelProto.encode(intInput).finish()));
    expect(e1.code).toBe(EngineErrorCode.ModelUnsupportedSignature);
    expect(e1.message).toContain('float32');

    const oneClass = writeMlpOnnx(tinyRandomMlp(13, { numClasses: 1 }), { output: 'logits' });
    expect(engineErrorOf(() => inspectOnnx(oneClass)).message).toContain('at least 2 classes');

    const old = writeMlpOnnx(weights, { opset: 6 });
    const e3 = engineErrorOf(() => inspectOnnx(old));
    expect(e3.code).toBe(EngineErrorCode.ModelUnsupportedSignature);
    expect(e3.message).toContain('opset 6');
  });

  it('refuses two graph inputs', () => {
    const model = onnx.ModelProto.decode(good);
    const graph = model.graph as onnx.GraphProto;
    graph.input.push(onnx.ValueInfoProto.create({ ...graph.input[0], name: 'second' }));
    expect(engineErrorOf(() => inspectOnnx(onnx.ModelProto.encode(model).finish())).message).toContain('has 2 inputs');
  });
});

describe('assertCompatible', () => {
  it('names both widths and the file, and suggests --preprocessing when the file has fewer columns', () => {
    const sig = inspectOnnx(softmaxMlpOnnx(tinyRandomMlp(14, { nFeatures: 64 })));
    const err = engineErrorOf(() => assertCompatible(sig, { nFeatures: 63 }, 'members.csv'));
    expect(err.code).toBe(EngineErrorCode.ModelShapeMismatch);
    expect(err.message).toBe(
      'model expects 64 features, members.csv has 63 feature columns; if the file is a raw table (string categories, missing values), describe its encoding with --preprocessing spec.json (docs/preprocessing.md)',
    );
    const more = engineErrorOf(() => assertCompatible(sig, { nFeatures: 65 }, 'members.csv'));
    expect(more.message).toBe('model expects 64 features, members.csv has 65 feature columns');
    expect(() => assertCompatible(sig, { nFeatures: 64 }, 'members.csv')).not.toThrow();
  });
});

describe('inspectOnnx resource limits (untrusted graphs)', () => {
  const base = () => onnx.ModelProto.decode(softmaxMlpOnnx(weights));
  const encode = (model: onnx.ModelProto) => onnx.ModelProto.encode(model).finish();
  const int64Tensor = (name: string, values: number[]) =>
    onnx.TensorProto.create({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [values.length],
      rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    });

  it('refuses ConstantOfShape, Expand and Tile to a huge constant shape before onnxruntime allocates it', () => {
    for (const [opType, inputs] of [
      ['ConstantOfShape', ['huge']],
      ['Expand', ['features', 'huge']],
      ['Tile', ['features', 'huge']],
    ] as const) {
      const model = base();
      const graph = model.graph as onnx.GraphProto;
      graph.initializer.push(int64Tensor('huge', [100_000, 100_000]));
      graph.node.push(onnx.NodeProto.create({ opType, name: 'inflate', input: [...inputs], output: ['inflated'] }));
      const err = engineErrorOf(() => inspectOnnx(encode(model), { fileLabel: 'bomb.onnx' }));
      expect(err.code).toBe(EngineErrorCode.ModelResourceLimit);
      expect(err.message).toBe(
        `bomb.onnx: operator ${opType} 'inflate' would make a tensor of more than 268435456 elements from its constant ${opType === 'Tile' ? 'repeats' : 'shape'}`,
      );
    }
    // The same shape from a Constant node is seen too; a small one passes.
    const viaConstant = base();
    (viaConstant.graph as onnx.GraphProto).node.push(
      onnx.NodeProto.create({
        opType: 'Constant',
        output: ['shape_c'],
        attribute: [
          onnx.AttributeProto.create({
            name: 'value',
            type: onnx.AttributeProto.AttributeType.TENSOR,
            t: int64Tensor('', [1 << 20, 1 << 20]),
          }),
        ],
      }),
      onnx.NodeProto.create({ opType: 'ConstantOfShape', name: 'c', input: ['shape_c'], output: ['big'] }),
    );
    expect(engineErrorOf(() => inspectOnnx(encode(viaConstant))).code).toBe(EngineErrorCode.ModelResourceLimit);
    const small = base();
    (small.graph as onnx.GraphProto).initializer.push(int64Tensor('small', [10, 10]));
    (small.graph as onnx.GraphProto).node.push(
      onnx.NodeProto.create({ opType: 'ConstantOfShape', name: 'ok', input: ['small'], output: ['fine'] }),
    );
    expect(() => inspectOnnx(encode(small))).not.toThrow();
  });

  it('refuses a declared shape, an initializer or a node count over the limits', () => {
    const declared = base();
    (declared.graph as onnx.GraphProto).valueInfo.push(
      onnx.ValueInfoProto.create({
        name: 'v',
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 << 20 }, { dimValue: 1 << 20 }] } } },
      }),
    );
    expect(engineErrorOf(() => inspectOnnx(encode(declared))).message).toBe(
      "model file: value 'v' declares a shape of more than 268435456 elements",
    );
    const initializer = base();
    (initializer.graph as onnx.GraphProto).initializer.push(
      onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [1 << 16, 1 << 16] }),
    );
    expect(engineErrorOf(() => inspectOnnx(encode(initializer))).message).toBe(
      "model file: tensor 'w' declares 4294967296 elements, over the limit of 268435456",
    );
    const many = base();
    const graph = many.graph as onnx.GraphProto;
    for (let i = 0; i <= 100_000; i++) {
      graph.node.push(onnx.NodeProto.create({ opType: 'Identity', input: ['features'], output: [`copy${i}`] }));
    }
    expect(engineErrorOf(() => inspectOnnx(encode(many))).message).toBe(
      'model file: the graph has more than 100000 nodes',
    );
  });

  it('inspects training graphs (training_info) too: a custom operator there is refused', () => {
    const model = base();
    model.trainingInfo.push(
      onnx.TrainingInfoProto.create({
        algorithm: onnx.GraphProto.create({
          name: 'train',
          node: [onnx.NodeProto.create({ opType: 'Exfiltrate', domain: 'com.evil', input: ['x'], output: ['y'] })],
        }),
      }),
    );
    const err = engineErrorOf(() => inspectOnnx(encode(model)));
    expect(err.code).toBe(EngineErrorCode.ModelUnknownOperatorDomain);
  });
});
