// Static inspection of an untrusted ONNX file before onnxruntime ever sees it: is it ONNX at all, is it
// complete, does it stay within the file (no external-data paths onnxruntime would open on our disk), does it
// use only standard operator domains (no custom-op libraries), and does its signature fit a tabular
// classifier: one float input [batch, nFeatures], first output [batch, numClasses] of class scores, or a
// single integer output [batch] / [batch, 1] of class indices (a labels-only model, e.g. ending in ArgMax).
// A labels-only model cannot say how many classes it has, so the caller must (numClasses): guessing it from
// the data's largest label would silently shrink the class set when a class happens to be absent.

import { onnx } from 'onnx-proto';
import { EngineError, EngineErrorCode } from '../errors';
import type { ModelSignature, OutputKind } from '../types';
import { RAW_TABLE_HINT } from '../data/input-hints';

export const DEFAULT_MAX_MODEL_BYTES = 512 * 1024 * 1024;

/**
 * Limits on what an untrusted graph may declare, checked before onnxruntime sees it. Generous for tabular
 * classifiers (a 784-256-128-10 MLP has 6 nodes and 235k weights); a graph beyond them is refused with
 * MODEL_RESOURCE_LIMIT. They cannot see a tensor whose size is computed at run time: that is what the audit
 * process's own memory and CPU limits are for (apps/worker, docs/security.md).
 */
export const ONNX_GRAPH_LIMITS = {
  /** Nodes over every graph of the model (subgraphs, functions and training graphs included). */
  maxNodes: 100_000,
  /** Elements of any tensor whose shape the file fixes: a declared shape, an initializer, or a constant shape input. */
  maxTensorElements: 1 << 28,
  /** Bytes of all initializers and constant tensors together. */
  maxConstantBytes: 1024 * 1024 * 1024,
} as const;

/** Operators whose output size comes from a shape-like input: a constant one is checked against the limits. */
const SHAPE_INPUT_OPS: ReadonlyMap<string, 'shape' | 'repeats'> = new Map([
  ['ConstantOfShape', 'shape'],
  ['Expand', 'shape'],
  ['Reshape', 'shape'],
  ['Tile', 'repeats'],
]);
const ALLOWED_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml']);
const MIN_OPSET = 7;

export interface OnnxInspectionOptions {
  maxBytes?: number;
  /** Name used in error messages, e.g. "model.onnx". */
  fileLabel?: string;
  /**
   * Number of classes the model distinguishes. Required for a labels-only model (its output holds class
   * indices, not one score per class); for a scores model it must match the output width when given.
   */
  numClasses?: number;
}

/** The signature plus what the ONNX target wrapper needs to run the model. */
export interface OnnxInspection {
  readonly signature: ModelSignature;
  /** 1 when the exporter fixed the batch dimension to 1 (rows must be sent one by one). */
  readonly batchSize: 'dynamic' | 1;
  /** The declared output's type, reused for the extra logits output (Softmax keeps shape and type). */
  readonly outputType: onnx.ITypeProto;
  readonly graphOutputNames: readonly string[];
}

type Long = { toNumber(): number };

function toNumber(value: number | Long | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/**
 * Serialisers write ModelProto fields in field-number order, so a real model starts with ir_version
 * (field 1, varint: tag byte 0x08) followed by a small version number. Garbage rarely does.
 */
function startsLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x08 && (bytes[1] as number) >= 1 && (bytes[1] as number) <= 30;
}

function decodeModel(bytes: Uint8Array, fileLabel: string): onnx.ModelProto {
  const truncated = () =>
    new EngineError(
      EngineErrorCode.ModelTruncated,
      `${fileLabel}: the file ends in the middle of the ONNX model (truncated upload or download? ${bytes.length} bytes read)`,
      { file: fileLabel },
    );
  const notOnnx = () =>
    new EngineError(
      EngineErrorCode.ModelNotOnnx,
      `${fileLabel}: not an ONNX model (it does not decode as an ONNX ModelProto)`,
      {
        file: fileLabel,
      },
    );
  if (bytes.length === 0) {
    throw new EngineError(EngineErrorCode.ModelNotOnnx, `${fileLabel}: the file is empty`, { file: fileLabel });
  }
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw startsLikeOnnx(bytes) ? truncated() : notOnnx();
  }
  if (toNumber(model.irVersion) === 0 || !model.graph) {
    throw startsLikeOnnx(bytes) ? truncated() : notOnnx();
  }
  // Writers put the graph before opset_import: a file cut just after the graph decodes without opsets.
  if (model.opsetImport.length === 0) throw truncated();
  return model;
}

/** Every graph of the model: the main graph, subgraphs of control-flow nodes, and local functions' bodies. */
function* allNodes(model: onnx.ModelProto): Generator<onnx.INodeProto> {
  function* walk(nodes: readonly onnx.INodeProto[] | null | undefined): Generator<onnx.INodeProto> {
    for (const node of nodes ?? []) {
      yield node;
      for (const attr of node.attribute ?? []) {
        if (attr.g) yield* walk(attr.g.node);
        for (const g of attr.graphs ?? []) yield* walk(g.node);
      }
    }
  }
  yield* walk(model.graph?.node);
  for (const fn of model.functions) yield* walk(fn.node);
  // Training graphs (ONNX training_info) are not run by an inference session, but they are inspected all the same.
  for (const info of model.trainingInfo ?? []) {
    yield* walk(info.initialization?.node);
    yield* walk(info.algorithm?.node);
  }
}

/** Every graph of the model (main, control-flow bodies, training graphs): where initializers and shapes live. */
function* allGraphs(model: onnx.ModelProto): Generator<onnx.IGraphProto> {
  function* walk(graph: onnx.IGraphProto | null | undefined): Generator<onnx.IGraphProto> {
    if (!graph) return;
    yield graph;
    for (const node of graph.node ?? []) {
      for (const attr of node.attribute ?? []) {
        yield* walk(attr.g);
        for (const g of attr.graphs ?? []) yield* walk(g);
      }
    }
  }
  yield* walk(model.graph);
  for (const info of model.trainingInfo ?? []) {
    yield* walk(info.initialization);
    yield* walk(info.algorithm);
  }
}

function* allTensors(model: onnx.ModelProto): Generator<onnx.ITensorProto> {
  function* fromGraph(graph: onnx.IGraphProto | null | undefined): Generator<onnx.ITensorProto> {
    if (!graph) return;
    yield* graph.initializer ?? [];
    for (const sparse of graph.sparseInitializer ?? []) {
      if (sparse.values) yield sparse.values;
      if (sparse.indices) yield sparse.indices;
    }
  }
  yield* fromGraph(model.graph);
  for (const info of model.trainingInfo ?? []) {
    yield* fromGraph(info.initialization);
    yield* fromGraph(info.algorithm);
  }
  for (const node of allNodes(model)) {
    for (const attr of node.attribute ?? []) {
      if (attr.t) yield attr.t;
      yield* attr.tensors ?? [];
      for (const sparse of [attr.sparseTensor, ...(attr.sparseTensors ?? [])]) {
        if (sparse?.values) yield sparse.values;
        if (sparse?.indices) yield sparse.indices;
      }
      yield* fromGraph(attr.g);
      for (const g of attr.graphs ?? []) yield* fromGraph(g);
    }
  }
}

function assertSelfContained(model: onnx.ModelProto, fileLabel: string): void {
  for (const tensor of allTensors(model)) {
    if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (tensor.externalData?.length ?? 0) > 0) {
      throw new EngineError(
        EngineErrorCode.ModelExternalData,
        `${fileLabel}: tensor '${tensor.name ?? ''}' stores its data in an external file; only self-contained models are accepted (save with all tensors inside the .onnx file)`,
        { file: fileLabel },
      );
    }
  }
}

function assertStandardDomains(model: onnx.ModelProto, fileLabel: string): void {
  for (const node of allNodes(model)) {
    const domain = node.domain ?? '';
    if (!ALLOWED_DOMAINS.has(domain)) {
      throw new EngineError(
        EngineErrorCode.ModelUnknownOperatorDomain,
        `${fileLabel}: operator '${node.opType ?? ''}' is from domain '${domain}'; only the standard domains ai.onnx and ai.onnx.ml are accepted (custom operators would need native code)`,
        { file: fileLabel },
      );
    }
  }
}

const ELEMENT_BYTES: ReadonlyMap<number, number> = new Map([
  [onnx.TensorProto.DataType.FLOAT, 4],
  [onnx.TensorProto.DataType.UINT8, 1],
  [onnx.TensorProto.DataType.INT8, 1],
  [onnx.TensorProto.DataType.UINT16, 2],
  [onnx.TensorProto.DataType.INT16, 2],
  [onnx.TensorProto.DataType.INT32, 4],
  [onnx.TensorProto.DataType.INT64, 8],
  [onnx.TensorProto.DataType.BOOL, 1],
  [onnx.TensorProto.DataType.FLOAT16, 2],
  [onnx.TensorProto.DataType.DOUBLE, 8],
  [onnx.TensorProto.DataType.UINT32, 4],
  [onnx.TensorProto.DataType.UINT64, 8],
]);

function product(values: readonly number[]): number {
  return values.reduce((p, v) => p * Math.max(0, v), 1);
}

/** The int64 values of a constant tensor (raw_data little-endian or int64_data), or undefined when not int64. */
function int64Values(tensor: onnx.ITensorProto): number[] | undefined {
  if (tensor.dataType !== onnx.TensorProto.DataType.INT64) return undefined;
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Array.from({ length: Math.floor(raw.byteLength / 8) }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  return (tensor.int64Data ?? []).map((v) => toNumber(v as number | Long));
}

/**
 * Graph size, declared shapes, constant sizes and constant shape inputs against ONNX_GRAPH_LIMITS: a model that
 * declares or hard-codes a huge tensor (ConstantOfShape / Expand / Tile / Reshape to a huge constant shape) is
 * refused before onnxruntime would allocate it.
 */
function assertWithinLimits(model: onnx.ModelProto, fileLabel: string): void {
  const limits = ONNX_GRAPH_LIMITS;
  const refuse = (why: string) =>
    new EngineError(EngineErrorCode.ModelResourceLimit, `${fileLabel}: ${why}`, { file: fileLabel });
  let nodes = 0;
  for (const node of allNodes(model)) {
    void node;
    if (++nodes > limits.maxNodes) throw refuse(`the graph has more than ${limits.maxNodes} nodes`);
  }
  const constants = new Map<string, onnx.ITensorProto>();
  let constantBytes = 0;
  for (const tensor of allTensors(model)) {
    const dims = (tensor.dims ?? []).map((d) => toNumber(d as number | Long));
    const elements = product(dims);
    if (elements > limits.maxTensorElements) {
      throw refuse(
        `tensor '${tensor.name ?? ''}' declares ${elements} elements, over the limit of ${limits.maxTensorElements}`,
      );
    }
    constantBytes += elements * (ELEMENT_BYTES.get(tensor.dataType ?? 0) ?? 8);
    if (constantBytes > limits.maxConstantBytes) {
      throw refuse(`its constant tensors hold more than ${limits.maxConstantBytes} bytes`);
    }
    if (tensor.name) constants.set(tensor.name, tensor);
  }
  for (const graph of allGraphs(model)) {
    for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      const dims = info.type?.tensorType?.shape?.dim ?? [];
      const fixed = dims.map((d) => toNumber(d.dimValue)).filter((v) => v > 0);
      if (product(fixed) > limits.maxTensorElements) {
        throw refuse(`value '${info.name ?? ''}' declares a shape of more than ${limits.maxTensorElements} elements`);
      }
    }
  }
  for (const node of allNodes(model)) {
    if (node.opType === 'Constant') {
      const value = node.attribute?.find((a) => a.name === 'value')?.t;
      const out = node.output?.[0];
      if (value && out) constants.set(out, value);
    }
  }
  for (const node of allNodes(model)) {
    const role = SHAPE_INPUT_OPS.get(node.opType ?? '');
    if (!role || !ALLOWED_DOMAINS.has(node.domain ?? '')) continue;
    const shapeInput = node.opType === 'ConstantOfShape' ? node.input?.[0] : node.input?.[1];
    const tensor = shapeInput ? constants.get(shapeInput) : undefined;
    const values = tensor ? int64Values(tensor) : undefined;
    if (!values) continue;
    // A Tile multiplies its input; repeats alone already bound how many copies it makes.
    if (product(values) > limits.maxTensorElements) {
      throw refuse(
        `operator ${node.opType} '${node.name ?? ''}' would make a tensor of more than ${limits.maxTensorElements} elements from its constant ${role}`,
      );
    }
  }
}

interface Dim {
  fixed?: number;
}

function tensorShape(info: onnx.IValueInfoProto): { elemType: number; dims: Dim[] } | undefined {
  const tensorType = info.type?.tensorType;
  if (!tensorType) return undefined;
  const shape = tensorType.shape;
  if (!shape) return { elemType: tensorType.elemType ?? 0, dims: [] };
  const dims = (shape.dim ?? []).map((d): Dim => {
    const which = (d as onnx.TensorShapeProto.Dimension).value; // protobufjs oneof: which member is set
    const value = toNumber(d.dimValue);
    return which === 'dimValue' && value > 0 ? { fixed: value } : {};
  });
  return { elemType: tensorType.elemType ?? 0, dims };
}

function describeDims(dims: Dim[]): string {
  return `[${dims.map((d) => (d.fixed !== undefined ? String(d.fixed) : '?')).join(', ')}]`;
}

/** Softmax feeding the output (possibly through Identity nodes) means the output holds probabilities. */
function findFinalSoftmax(graph: onnx.IGraphProto, outputName: string): onnx.INodeProto | undefined {
  const producer = new Map<string, onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producer.set(out, node);
  let node = producer.get(outputName);
  for (let hops = 0; node && node.opType === 'Identity' && hops < 16; hops++) {
    node = producer.get(node.input?.[0] ?? '');
  }
  if (
    !node ||
    node.opType !== 'Softmax' ||
    !ALLOWED_DOMAINS.has(node.domain ?? '') ||
    (node.domain ?? '') === 'ai.onnx.ml'
  ) {
    return undefined;
  }
  const axis = node.attribute?.find((a) => a.name === 'axis');
  const axisValue = axis ? toNumber(axis.i) : 1;
  return axisValue === 1 || axisValue === -1 ? node : undefined;
}

const CLASS_INDEX_TYPES = new Set<number>([onnx.TensorProto.DataType.INT64, onnx.TensorProto.DataType.INT32]);

interface LabelsOutputParts {
  inputName: string;
  nFeatures: number;
  batchSize: 'dynamic' | 1;
  opset: number;
  output: onnx.IValueInfoProto;
  outputDims: Dim[];
  fileLabel: string;
  numClasses: number | undefined;
}

/** A labels-only model: one integer output [batch] or [batch, 1] holding the predicted class index. */
function inspectLabelsOutput(model: onnx.ModelProto, graph: onnx.GraphProto, parts: LabelsOutputParts): OnnxInspection {
  const { output, outputDims, fileLabel, numClasses } = parts;
  const fail = (code: EngineErrorCode, why: string) =>
    new EngineError(code, `${fileLabel}: ${why}`, { file: fileLabel });
  const name = output.name ?? '';
  if (graph.output.length !== 1) {
    throw fail(
      EngineErrorCode.ModelUnsupportedSignature,
      `first output '${name}' holds class indices and the model has ${graph.output.length} outputs; privaudit reads the first output, so put the class scores [batch, classes] first, or export the class-index output alone to audit a labels-only model`,
    );
  }
  const shapeOk = outputDims.length === 1 || (outputDims.length === 2 && outputDims[1]?.fixed === 1);
  if (!shapeOk) {
    throw fail(
      EngineErrorCode.ModelUnsupportedSignature,
      `output '${name}' holds integers with shape ${describeDims(outputDims)}; a labels-only model must output one class index per row, [batch] or [batch, 1]`,
    );
  }
  if (numClasses === undefined) {
    throw fail(
      EngineErrorCode.InvalidOption,
      `output '${name}' holds class indices (a labels-only model), which do not say how many classes there are; declare the number of classes (numClasses in a request; --num-classes, or --classes with their names, on the command line)`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw fail(
      EngineErrorCode.InvalidOption,
      `the number of classes must be an integer of at least 2, got ${numClasses}`,
    );
  }
  const signature: ModelSignature = {
    inputName: parts.inputName,
    nFeatures: parts.nFeatures,
    numClasses,
    outputName: name,
    outputKind: 'labels',
    opset: parts.opset,
    ...(model.producerName ? { producer: model.producerName } : {}),
  };
  return {
    signature,
    batchSize: parts.batchSize,
    outputType: output.type as onnx.ITypeProto,
    graphOutputNames: graph.output.map((o) => o.name ?? ''),
  };
}

/** Full inspection; `inspectOnnx` is the signature-only view. */
export function inspectOnnxModel(bytes: Uint8Array, opts: OnnxInspectionOptions = {}): OnnxInspection {
  const fileLabel = opts.fileLabel ?? 'model file';
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  const unsupported = (why: string) =>
    new EngineError(EngineErrorCode.ModelUnsupportedSignature, `${fileLabel}: ${why}`, { file: fileLabel });

  if (bytes.length > maxBytes) {
    throw new EngineError(
      EngineErrorCode.ModelTooLarge,
      `${fileLabel}: ${bytes.length} bytes, over the limit of ${maxBytes} bytes`,
      {
        file: fileLabel,
      },
    );
  }
  const model = decodeModel(bytes, fileLabel);
  const graph = model.graph as onnx.GraphProto;
  assertSelfContained(model, fileLabel);
  assertStandardDomains(model, fileLabel);
  assertWithinLimits(model, fileLabel);

  const defaultOpset = model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!defaultOpset) throw unsupported('declares no opset for the standard ai.onnx domain');
  const opset = toNumber(defaultOpset.version);
  if (opset < MIN_OPSET)
    throw unsupported(`uses opset ${opset}; opset ${MIN_OPSET} or newer is required (re-export the model)`);

  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  const inputs = graph.input.filter((i) => !initializerNames.has(i.name ?? ''));
  if (inputs.length !== 1) {
    throw unsupported(
      `has ${inputs.length} inputs; a tabular classifier with exactly one float input [batch, features] is required`,
    );
  }
  const input = inputs[0] as onnx.ValueInfoProto;
  const inputName = input.name ?? '';
  const inputShape = tensorShape(input);
  if (!inputShape || inputShape.elemType !== onnx.TensorProto.DataType.FLOAT) {
    throw unsupported(
      `input '${inputName}' is not a float32 tensor; privaudit feeds float32 features [batch, features]`,
    );
  }
  if (inputShape.dims.length !== 2) {
    throw unsupported(
      `input '${inputName}' has shape ${describeDims(inputShape.dims)}; expected [batch, features] (rank 2)`,
    );
  }
  const [batchDim, featureDim] = inputShape.dims as [Dim, Dim];
  if (batchDim.fixed !== undefined && batchDim.fixed !== 1) {
    throw unsupported(
      `input '${inputName}' fixes the batch dimension to ${batchDim.fixed}; export with a dynamic batch axis (e.g. dynamic_axes in torch.onnx.export) or batch size 1`,
    );
  }
  if (featureDim.fixed === undefined) {
    throw unsupported(
      `input '${inputName}' has no fixed feature dimension; the number of features must be declared in the model`,
    );
  }

  const output = graph.output[0];
  if (!output) throw unsupported('declares no output');
  const outputShape = tensorShape(output);
  if (outputShape && CLASS_INDEX_TYPES.has(outputShape.elemType)) {
    return inspectLabelsOutput(model, graph, {
      inputName,
      nFeatures: featureDim.fixed,
      batchSize: batchDim.fixed === 1 ? 1 : 'dynamic',
      opset,
      output,
      outputDims: outputShape.dims,
      fileLabel,
      numClasses: opts.numClasses,
    });
  }
  if (!outputShape || outputShape.elemType !== onnx.TensorProto.DataType.FLOAT) {
    throw unsupported(
      `first output '${output.name}' is not a float32 tensor; class scores [batch, classes] (or int64 class indices [batch]) are required`,
    );
  }
  const classDim = outputShape.dims[1];
  if (outputShape.dims.length !== 2 || classDim?.fixed === undefined) {
    throw unsupported(
      `first output '${output.name}' has shape ${describeDims(outputShape.dims)}; expected [batch, classes] with a fixed number of classes`,
    );
  }
  if (classDim.fixed < 2)
    throw unsupported(`first output '${output.name}' has ${classDim.fixed} class; at least 2 classes are required`);
  if (opts.numClasses !== undefined && opts.numClasses !== classDim.fixed) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `${fileLabel}: the model outputs ${classDim.fixed} class scores, but ${opts.numClasses} classes were declared`,
      { file: fileLabel },
    );
  }

  const softmax = findFinalSoftmax(graph, output.name ?? '');
  const outputKind: OutputKind = softmax ? 'probabilities' : 'logits';
  const logitsTensorName = softmax?.input?.[0] || undefined;
  const signature: ModelSignature = {
    inputName,
    nFeatures: featureDim.fixed,
    numClasses: classDim.fixed,
    outputName: output.name ?? '',
    outputKind,
    ...(logitsTensorName !== undefined ? { logitsTensorName } : {}),
    opset,
    ...(model.producerName ? { producer: model.producerName } : {}),
  };
  return {
    signature,
    batchSize: batchDim.fixed === 1 ? 1 : 'dynamic',
    outputType: output.type as onnx.ITypeProto,
    graphOutputNames: graph.output.map((o) => o.name ?? ''),
  };
}

/** Validates an untrusted ONNX file and describes its classifier signature. Throws EngineError otherwise. */
export function inspectOnnx(bytes: Uint8Array, opts?: OnnxInspectionOptions): ModelSignature {
  return inspectOnnxModel(bytes, opts).signature;
}

/** Refuses data whose feature columns do not match the model's input width. */
export function assertCompatible(sig: ModelSignature, ds: { nFeatures: number }, fileLabel: string): void {
  if (sig.nFeatures !== ds.nFeatures) {
    throw new EngineError(
      EngineErrorCode.ModelShapeMismatch,
      `model expects ${sig.nFeatures} features, ${fileLabel} has ${ds.nFeatures} feature columns${ds.nFeatures < sig.nFeatures ? `; ${RAW_TABLE_HINT}` : ''}`,
      { file: fileLabel },
    );
  }
}
