// Writes an MLP as an ONNX model and reads one back. Writing lets the demo trainer export a target and lets
// tests build models shaped like real exporters' output; reading lets reference/shadow models mirror the
// target's architecture (Carlini et al. 2022 assume reference models of the target's architecture).

import { onnx } from 'onnx-proto';
import type { Activation, DenseLayerWeights, MlpWeights } from '../training/mlp';

export interface WriteMlpOnnxOptions {
  /**
   * 'gemm': one Gemm per layer with [in][out] weights (what our trainer exports).
   * 'gemm-transb': Gemm with transB=1 and PyTorch's [out][in] weights (torch.onnx.export of nn.Linear).
   * 'matmul-add': MatMul then Add(bias, ·) as PyTorch emits when it does not fuse into Gemm.
   */
  style?: 'gemm' | 'gemm-transb' | 'matmul-add';
  /** 'softmax' ends the graph with a Softmax (probabilities out), 'logits' leaves it off. Default 'softmax'. */
  output?: 'softmax' | 'logits';
  opset?: number;
  inputName?: string;
  outputName?: string;
  /** dim_param of the batch dimension. Default 'batch'. */
  batchDimParam?: string;
  producerName?: string;
}

const ACTIVATION_OPS: Record<Activation, string> = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' };
const OP_ACTIVATIONS: Record<string, Activation> = { Relu: 'relu', Tanh: 'tanh', Sigmoid: 'sigmoid' };

/** The IR version that introduced each opset range (onnx/docs/Versioning.md). */
function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  return 9;
}

function floatTensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  const copy = Float32Array.from(values); // own buffer, little-endian on every platform Node ships for
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength),
  };
}

function floatValueInfo(name: string, batchDimParam: string, width: number): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: batchDimParam }, { dimValue: width }] },
      },
    },
  };
}

function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number;
  return out;
}

/** Serialises an MLP (weights row-major [in][out]) as an ONNX model with input [batch, nFeatures]. */
export function writeMlpOnnx(weights: MlpWeights, opts: WriteMlpOnnxOptions = {}): Uint8Array {
  const style = opts.style ?? 'gemm';
  const output = opts.output ?? 'softmax';
  const opset = opts.opset ?? (style === 'gemm' ? 13 : 17);
  const inputName = opts.inputName ?? (style === 'gemm' ? 'features' : 'input');
  const outputName = opts.outputName ?? (output === 'softmax' ? 'probabilities' : 'logits');
  const batch = opts.batchDimParam ?? (style === 'gemm' ? 'batch' : 'batch_size');
  const { architecture, layers } = weights;
  const pytorchNames = style !== 'gemm';

  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let current = inputName;
  let module = 0; // nn.Sequential index: Linear, activation, Linear, ...
  layers.forEach((layer: DenseLayerWeights, index) => {
    const isLast = index === layers.length - 1;
    const prefix = pytorchNames ? `/${module}` : `dense_${index}`;
    const weightName = pytorchNames ? `${module}.weight` : `dense_${index}/kernel`;
    const biasName = pytorchNames ? `${module}.bias` : `dense_${index}/bias`;
    const denseOut =
      isLast && output === 'logits' ? outputName : `${prefix}/${style === 'matmul-add' ? 'Add' : 'Gemm'}_output_0`;
    if (style === 'matmul-add') {
      const matmulWeightName = `onnx::MatMul_${1000 + index}`;
      initializers.push(floatTensor(matmulWeightName, [layer.inputs, layer.outputs], layer.weights));
      initializers.push(floatTensor(biasName, [layer.outputs], layer.bias));
      const matmulOut = `${prefix}/MatMul_output_0`;
      nodes.push({
        name: `${prefix}/MatMul`,
        opType: 'MatMul',
        domain: '',
        input: [current, matmulWeightName],
        output: [matmulOut],
      });
      nodes.push({
        name: `${prefix}/Add`,
        opType: 'Add',
        domain: '',
        input: [biasName, matmulOut],
        output: [denseOut],
      });
    } else {
      const transB = style === 'gemm-transb';
      const kernel = transB ? transpose(layer.weights, layer.inputs, layer.outputs) : layer.weights;
      initializers.push(
        floatTensor(weightName, transB ? [layer.outputs, layer.inputs] : [layer.inputs, layer.outputs], kernel),
      );
      initializers.push(floatTensor(biasName, [layer.outputs], layer.bias));
      nodes.push({
        name: `${prefix}/Gemm`,
        opType: 'Gemm',
        domain: '',
        input: [current, weightName, biasName],
        output: [denseOut],
        attribute: [
          { name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
          { name: 'beta', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
          intAttribute('transB', transB ? 1 : 0),
        ],
      });
    }
    current = denseOut;
    module++;
    if (!isLast) {
      const op = ACTIVATION_OPS[architecture.activation];
      const activationPrefix = pytorchNames ? `/${module}` : `dense_${index}`;
      const activationOut = `${activationPrefix}/${op}_output_0`;
      nodes.push({
        name: `${activationPrefix}/${op}`,
        opType: op,
        domain: '',
        input: [current],
        output: [activationOut],
      });
      current = activationOut;
      module++;
    }
  });
  if (output === 'softmax') {
    nodes.push({
      name: 'Softmax',
      opType: 'Softmax',
      domain: '',
      input: [current],
      output: [outputName],
      attribute: [intAttribute('axis', 1)],
    });
  }

  const model: onnx.IModelProto = {
    irVersion: irVersionForOpset(opset),
    producerName: opts.producerName ?? (pytorchNames ? 'pytorch' : 'privaudit'),
    producerVersion: pytorchNames ? '2.4.0' : '0.1.0',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: pytorchNames ? 'main_graph' : 'mlp',
      node: nodes,
      initializer: initializers,
      input: [floatValueInfo(inputName, batch, architecture.nFeatures)],
      output: [floatValueInfo(outputName, batch, architecture.numClasses)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

// ---------------------------------------------------------------------------------------------------------

interface FloatInitializer {
  dims: number[];
  values: Float32Array;
}

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function readFloatInitializer(tensor: onnx.ITensorProto): FloatInitializer | undefined {
  if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) return undefined;
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (tensor.externalData?.length ?? 0) > 0)
    return undefined;
  const dims = (tensor.dims ?? []).map(toNumber);
  const count = dims.reduce((a, b) => a * b, 1);
  let values: Float32Array;
  if (tensor.rawData && tensor.rawData.length > 0) {
    if (tensor.rawData.length !== count * 4) return undefined;
    const view = new DataView(tensor.rawData.buffer, tensor.rawData.byteOffset, tensor.rawData.byteLength);
    values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  } else {
    if ((tensor.floatData?.length ?? 0) !== count) return undefined;
    values = Float32Array.from(tensor.floatData ?? []);
  }
  return { dims, values };
}

function attribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

/** Bias as a [outputs] vector: accepts shape [outputs] or [1, outputs]. */
function asBias(init: FloatInitializer | undefined, outputs: number): Float32Array | undefined {
  if (!init || init.values.length !== outputs) return undefined;
  if (init.dims.length === 1 || (init.dims.length === 2 && init.dims[0] === 1)) return init.values;
  return undefined;
}

/**
 * Rebuilds architecture and weights from a plain MLP graph: dense layers (Gemm, or MatMul + Add) with one
 * kind of Relu/Tanh/Sigmoid between them, an optional final Softmax, and Identity or Flatten (axis 1) nodes anywhere.
 * Returns undefined for any other graph (the caller then falls back to a default architecture).
 */
export function readMlpFromOnnx(bytes: Uint8Array): MlpWeights | undefined {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const graph = model.graph as onnx.GraphProto | null | undefined;
  if (!graph || graph.output.length < 1) return undefined;
  const initializers = new Map<string, onnx.ITensorProto>(graph.initializer.map((t) => [t.name ?? '', t]));
  const inputs = graph.input.filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length !== 1) return undefined;
  const outputName = graph.output[0]?.name;

  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const node of graph.node) {
    for (const name of node.input ?? []) consumers.set(name, [...(consumers.get(name) ?? []), node]);
  }
  const initializer = (name: string | undefined) => {
    const tensor = name !== undefined ? initializers.get(name) : undefined;
    return tensor ? readFloatInitializer(tensor) : undefined;
  };

  const layers: DenseLayerWeights[] = [];
  let activation: Activation | undefined;
  let pendingActivation = false; // an activation must separate two dense layers
  let softmaxSeen = false;
  let current = (inputs[0] as onnx.IValueInfoProto).name as string;
  const visited = new Set<onnx.INodeProto>();

  while (current !== outputName) {
    const next = consumers.get(current) ?? [];
    if (next.length !== 1) return undefined;
    const node = next[0] as onnx.INodeProto;
    if (visited.has(node) || ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx')) return undefined;
    visited.add(node);
    const op = node.opType ?? '';
    // Flatten of a [batch, features] row (axis 1, the default) changes nothing.
    if (op === 'Identity' || (op === 'Flatten' && toNumber(attribute(node, 'axis')?.i ?? 1) === 1)) {
      current = node.output?.[0] as string;
      continue;
    }
    if (softmaxSeen) return undefined;
    if (op === 'Gemm' || op === 'MatMul') {
      if (layers.length > 0 && !pendingActivation) return undefined;
      if (node.input?.[0] !== current) return undefined;
      const kernel = initializer(node.input?.[1]);
      if (!kernel || kernel.dims.length !== 2) return undefined;
      let transB = false;
      let bias: Float32Array | undefined;
      let out = node.output?.[0] as string;
      if (op === 'Gemm') {
        const alpha = attribute(node, 'alpha')?.f ?? 1;
        const beta = attribute(node, 'beta')?.f ?? 1;
        if (toNumber(attribute(node, 'transA')?.i) !== 0 || alpha !== 1 || beta !== 1) return undefined;
        transB = toNumber(attribute(node, 'transB')?.i) === 1;
      }
      const [d0, d1] = kernel.dims as [number, number];
      const inWidth = transB ? d1 : d0;
      const outWidth = transB ? d0 : d1;
      if (op === 'Gemm') {
        const biasName = node.input?.[2];
        bias = biasName ? asBias(initializer(biasName), outWidth) : new Float32Array(outWidth);
      } else {
        const adds = consumers.get(out) ?? [];
        if (adds.length === 1 && adds[0]?.opType === 'Add') {
          const add = adds[0];
          const other = add.input?.find((name) => name !== out);
          bias = asBias(initializer(other), outWidth);
          visited.add(add);
          out = add.output?.[0] as string;
        } else {
          bias = new Float32Array(outWidth);
        }
      }
      if (!bias) return undefined;
      const previous = layers[layers.length - 1];
      if (previous && previous.outputs !== inWidth) return undefined;
      layers.push({
        weights: transB ? transpose(kernel.values, outWidth, inWidth) : kernel.values,
        bias: Float32Array.from(bias),
        inputs: inWidth,
        outputs: outWidth,
      });
      pendingActivation = false;
      current = out;
      continue;
    }
    const kind = OP_ACTIVATIONS[op];
    if (kind) {
      if (layers.length === 0 || pendingActivation || (activation !== undefined && activation !== kind))
        return undefined;
      activation = kind;
      pendingActivation = true;
      current = node.output?.[0] as string;
      continue;
    }
    if (op === 'Softmax') {
      const axis = attribute(node, 'axis');
      if (axis && toNumber(axis.i) !== 1 && toNumber(axis.i) !== -1) return undefined;
      softmaxSeen = true;
      current = node.output?.[0] as string;
      continue;
    }
    return undefined;
  }
  if (layers.length === 0 || pendingActivation || visited.size !== graph.node.length) return undefined;
  const first = layers[0] as DenseLayerWeights;
  const last = layers[layers.length - 1] as DenseLayerWeights;
  return {
    architecture: {
      nFeatures: first.inputs,
      hidden: layers.slice(0, -1).map((l) => l.outputs),
      numClasses: last.outputs,
      activation: activation ?? 'relu',
    },
    layers,
  };
}
