// White-box MI-Face needs the gradient of a class's log-probability with respect to the input. When every node
// the target's ONNX graph runs to produce its class scores is one privaudit can rebuild (graph-ops.ts: Gemm,
// MatMul, Add / Sub / Mul / Div, Relu, Sigmoid, Tanh, Softmax, Conv, MaxPool, Flatten, Reshape, plus Identity,
// Dropout at inference and Constant), the graph is rebuilt here and run in double precision on one row, and the
// gradient is exact backpropagation through it: d log p_c / d logits = onehot(c) - p, then back through every
// node in reverse order. A final Softmax is replaced by this log-softmax (the logits are where the target wrapper
// reads them too, targets/onnx-inspection.ts). Any other graph is refused with the reason, and MI-Face falls back
// to black-box gradient estimates, saying why in its finding.

import { onnx } from 'onnx-proto';
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
} from './graph-ops';

export interface ClassLogProbability {
  /** log p_c(x). */
  readonly logProb: number;
  /** Probabilities of every class at x. */
  readonly probabilities: Float64Array;
  /** d log p_c / d x, one entry per input. */
  readonly gradient: Float64Array;
}

/** The operators white-box MI-Face rebuilds (the list, plus graph plumbing). */
export const WHITE_BOX_OPS = [
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Sigmoid',
  'Tanh',
  'Softmax',
  'Conv',
  'MaxPool',
  'Flatten',
  'Reshape',
  'Identity',
  'Dropout',
  'Constant',
] as const;

type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

interface Step {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly run: (inputs: readonly Tensor[]) => OpResult;
}

export class RebuiltGraph {
  constructor(
    private readonly inputName: string,
    private readonly nFeatures: number,
    private readonly logitsName: string,
    private readonly constants: ReadonlyMap<string, Tensor>,
    private readonly steps: readonly Step[],
    /** The operators the rebuilt graph runs, for the finding's note. */
    readonly ops: readonly string[],
  ) {}

  /** log p_c(x) and its exact gradient with respect to the input row x. */
  classLogProbability(x: ArrayLike<number>, c: number): ClassLogProbability {
    const values = new Map<string, Tensor>(this.constants);
    values.set(this.inputName, tensor([1, this.nFeatures], x));
    const tape: { step: Step; result: OpResult }[] = [];
    for (const step of this.steps) {
      const result = step.run(step.inputs.map((name) => values.get(name) as Tensor));
      values.set(step.output, result.out);
      tape.push({ step, result });
    }
    const logits = (values.get(this.logitsName) as Tensor).data;
    let max = Number.NEGATIVE_INFINITY;
    for (const z of logits) max = Math.max(max, z);
    let sum = 0;
    for (const z of logits) sum += Math.exp(z - max);
    const logSum = max + Math.log(sum);
    const probabilities = logits.map((z) => Math.exp(z - logSum));
    const logProb = (logits[c] as number) - logSum;

    const grads = new Map<string, Float64Array>();
    grads.set(
      this.logitsName,
      probabilities.map((p, j) => (j === c ? 1 : 0) - p),
    );
    for (let i = tape.length - 1; i >= 0; i--) {
      const { step, result } = tape[i] as (typeof tape)[number];
      const g = grads.get(step.output);
      if (!g) continue;
      const back = result.backward(g);
      step.inputs.forEach((name, k) => {
        const gi = back[k];
        if (!gi || this.constants.has(name)) return;
        const acc = grads.get(name);
        if (!acc) grads.set(name, Float64Array.from(gi));
        else for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] as number) + (gi[j] as number);
      });
    }
    return { logProb, probabilities, gradient: grads.get(this.inputName) ?? new Float64Array(this.nFeatures) };
  }
}

export type GraphRebuild = { readonly graph: RebuiltGraph } | { readonly unsupported: string };

/**
 * Rebuilds the graph from the model's bytes for a [batch, nFeatures] input and numClasses scores, or says why it
 * cannot (an operator or attribute outside what graph-ops.ts implements, a weight computed from the input, ...).
 */
export function rebuildOnnxGraph(bytes: Uint8Array, nFeatures: number, numClasses: number): GraphRebuild {
  try {
    return { graph: build(bytes, nFeatures, numClasses) };
  } catch (e) {
    if (e instanceof UnsupportedGraphError) return { unsupported: e.message };
    throw e;
  }
}

function build(bytes: Uint8Array, nFeatures: number, numClasses: number): RebuiltGraph {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new UnsupportedGraphError('the model does not decode as ONNX');
  }
  const graph = model.graph as onnx.GraphProto | null | undefined;
  if (!graph) throw new UnsupportedGraphError('the model has no graph');
  const opset = num(model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version);
  const constants = new Map<string, Tensor>();
  const intConstants = new Map<string, number[]>();
  for (const init of graph.initializer) readConstant(init, init.name ?? '', constants, intConstants);
  const inputs = graph.input.filter((i) => !constants.has(i.name ?? '') && !intConstants.has(i.name ?? ''));
  if (inputs.length !== 1) throw new UnsupportedGraphError(`the graph has ${inputs.length} data inputs`);
  const inputName = inputs[0]?.name ?? '';
  const outputName = graph.output[0]?.name ?? '';

  const producer = new Map<string, onnx.INodeProto>();
  for (const node of graph.node) for (const out of node.output ?? []) producer.set(out, node);
  // The logits: the input of a final Softmax over the classes (through Identity nodes), else the output itself.
  let logitsName = outputName;
  let last = producer.get(outputName);
  for (let hops = 0; last?.opType === 'Identity' && hops < 16; hops++) last = producer.get(last.input?.[0] ?? '');
  if (last?.opType === 'Softmax' && (last.domain ?? '') === '') {
    const axis = num(attr(last, 'axis')?.i ?? (opset >= 13 ? -1 : 1));
    if (axis === 1 || axis === -1) logitsName = last.input?.[0] ?? outputName;
  }

  // The nodes the logits depend on, in graph (topological) order.
  const needed = new Set<onnx.INodeProto>();
  const pending = [logitsName];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const node = producer.get(name);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    pending.push(...(node.input ?? []).filter((n) => n !== ''));
  }
  const steps: Step[] = [];
  const available = new Set<string>([inputName, ...constants.keys(), ...intConstants.keys()]);
  const ops = new Set<string>();
  for (const node of graph.node) {
    if (!needed.has(node)) continue;
    const op = node.opType ?? '';
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') {
      throw new UnsupportedGraphError(`operator ${node.domain}.${op} is not rebuilt`);
    }
    for (const name of node.input ?? []) {
      if (name !== '' && !available.has(name))
        throw new UnsupportedGraphError(`node ${op} reads '${name}' before it is computed`);
    }
    if (op === 'Constant') {
      readConstantNode(node, constants, intConstants);
      for (const out of node.output ?? []) available.add(out);
      continue;
    }
    const step = stepOf(node, opset, constants, intConstants);
    const intInput = step.inputs.find((name) => intConstants.has(name));
    if (intInput !== undefined) throw new UnsupportedGraphError(`${op} reads the integer tensor '${intInput}'`);
    steps.push(step);
    ops.add(op);
    available.add(node.output?.[0] ?? '');
  }
  if (!available.has(logitsName)) throw new UnsupportedGraphError('the class scores are not computed from the input');
  const rebuilt = new RebuiltGraph(inputName, nFeatures, logitsName, constants, steps, [...ops]);
  // One trial run: shapes must fit and the logits must be one score per class.
  const trial = rebuilt.classLogProbability(new Float64Array(nFeatures), 0);
  if (trial.probabilities.length !== numClasses) {
    throw new UnsupportedGraphError(`the rebuilt graph gives ${trial.probabilities.length} scores, not ${numClasses}`);
  }
  return rebuilt;
}

function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
const ints = (node: onnx.INodeProto, name: string): number[] | undefined => {
  const a = attr(node, name);
  return a ? (a.ints ?? []).map(num) : undefined;
};
const text = (node: onnx.INodeProto, name: string): string | undefined => {
  const s = attr(node, name)?.s;
  return s && s.length > 0 ? Buffer.from(s).toString('utf8') : undefined;
};

function stepOf(
  node: onnx.INodeProto,
  opset: number,
  constants: Map<string, Tensor>,
  intConstants: Map<string, number[]>,
): Step {
  const op = node.opType ?? '';
  const inputs = (node.input ?? []).filter((n) => n !== '');
  const output = node.output?.[0] ?? '';
  const step = (run: Step['run'], names: readonly string[] = inputs): Step => ({ op, inputs: names, output, run });
  const requireConstant = (name: string | undefined, role: string) => {
    if (name === undefined || !constants.has(name)) {
      throw new UnsupportedGraphError(`${op}'s ${role} is computed in the graph, not a constant`);
    }
  };
  const usedOutputs = (node.output ?? []).filter((n) => n !== '').length;
  switch (op) {
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
      return step(([x]) => activation(op, x as Tensor));
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return step(([a, b]) => binary(op, a as Tensor, b as Tensor));
    case 'MatMul':
      return step(([a, b]) => matMul(a as Tensor, b as Tensor));
    case 'Gemm': {
      requireConstant(inputs[1], 'B');
      if (inputs[2] !== undefined) requireConstant(inputs[2], 'C');
      const attrs = {
        alpha: attr(node, 'alpha')?.f ?? 1,
        beta: attr(node, 'beta')?.f ?? 1,
        transA: num(attr(node, 'transA')?.i) === 1,
        transB: num(attr(node, 'transB')?.i) === 1,
      };
      return step(([a, b, c]) => gemm(a as Tensor, b as Tensor, c, attrs));
    }
    case 'Softmax': {
      const axis = num(attr(node, 'axis')?.i ?? (opset >= 13 ? -1 : 1));
      return step(([x]) => softmax(x as Tensor, axis, opset < 13));
    }
    case 'Flatten': {
      const axis = num(attr(node, 'axis')?.i ?? 1);
      return step(([x]) => flatten(x as Tensor, axis));
    }
    case 'Reshape': {
      const shape = inputs[1] !== undefined ? intConstants.get(inputs[1]) : ints(node, 'shape');
      if (!shape) throw new UnsupportedGraphError('Reshape to a shape computed in the graph');
      const allowZero = num(attr(node, 'allowzero')?.i) === 1;
      return step(([x]) => reshape(x as Tensor, shape, allowZero), inputs.slice(0, 1));
    }
    case 'Identity':
      return step(([x]) => ({ out: x as Tensor, backward: (g) => [g] }));
    case 'Dropout':
      if (usedOutputs > 1) throw new UnsupportedGraphError('Dropout with its mask output');
      return step(([x]) => ({ out: x as Tensor, backward: (g) => [g] }), inputs.slice(0, 1));
    case 'Conv': {
      requireConstant(inputs[1], 'weight');
      if (inputs[2] !== undefined) requireConstant(inputs[2], 'bias');
      const attrs = {
        kernel: ints(node, 'kernel_shape') ?? [],
        strides: ints(node, 'strides'),
        dilations: ints(node, 'dilations'),
        pads: ints(node, 'pads'),
        autoPad: text(node, 'auto_pad'),
        group: num(attr(node, 'group')?.i ?? 1),
        // The weights are constants (checked above): their gradient is never needed.
        weightGradient: false,
      };
      return step(([x, w, b]) => conv(x as Tensor, w as Tensor, b, attrs));
    }
    case 'MaxPool': {
      if (usedOutputs > 1) throw new UnsupportedGraphError('MaxPool with its Indices output');
      const kernel = ints(node, 'kernel_shape');
      if (!kernel) throw new UnsupportedGraphError('MaxPool without kernel_shape');
      const attrs = {
        kernel,
        strides: ints(node, 'strides'),
        dilations: ints(node, 'dilations'),
        pads: ints(node, 'pads'),
        autoPad: text(node, 'auto_pad'),
        ceilMode: num(attr(node, 'ceil_mode')?.i) === 1,
      };
      return step(([x]) => maxPool(x as Tensor, attrs));
    }
    default:
      throw new UnsupportedGraphError(`operator ${op} is not rebuilt (white-box supports ${WHITE_BOX_OPS.join(', ')})`);
  }
}

/** A float tensor into `floats`, an integer one (shapes) into `integers`; other types are not rebuilt. */
function readConstant(
  t: onnx.ITensorProto,
  name: string,
  floats: Map<string, Tensor>,
  integers: Map<string, number[]>,
): void {
  const T = onnx.TensorProto.DataType;
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  if ((t.externalData?.length ?? 0) > 0) throw new UnsupportedGraphError(`tensor '${name}' has external data`);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const width = t.dataType === T.FLOAT || t.dataType === T.INT32 ? 4 : 8;
  if (view && view.byteLength !== count * width) throw new UnsupportedGraphError(`tensor '${name}' has the wrong size`);
  switch (t.dataType ?? T.UNDEFINED) {
    case T.FLOAT:
    case T.DOUBLE: {
      const values = new Float64Array(count);
      const listed = t.dataType === T.FLOAT ? (t.floatData ?? []) : (t.doubleData ?? []);
      for (let i = 0; i < count; i++) {
        values[i] = view
          ? t.dataType === T.FLOAT
            ? view.getFloat32(i * 4, true)
            : view.getFloat64(i * 8, true)
          : (listed[i] ?? Number.NaN);
      }
      floats.set(name, { shape: dims, data: values });
      return;
    }
    case T.INT64:
    case T.INT32: {
      const listed = t.dataType === T.INT64 ? (t.int64Data ?? []).map(num) : (t.int32Data ?? []);
      const values = Array.from({ length: count }, (_, i) =>
        view
          ? t.dataType === T.INT64
            ? Number(view.getBigInt64(i * 8, true))
            : view.getInt32(i * 4, true)
          : (listed[i] ?? 0),
      );
      integers.set(name, values);
      return;
    }
    default:
      throw new UnsupportedGraphError(
        `tensor '${name}' has ONNX data type ${t.dataType ?? '?'} (float, double or int only)`,
      );
  }
}

function readConstantNode(node: onnx.INodeProto, floats: Map<string, Tensor>, integers: Map<string, number[]>): void {
  const name = node.output?.[0] ?? '';
  const a = node.attribute?.[0];
  if (!a) throw new UnsupportedGraphError('Constant without a value');
  switch (a.name ?? '') {
    case 'value':
      if (!a.t) throw new UnsupportedGraphError('Constant without a tensor');
      return readConstant(a.t, name, floats, integers);
    case 'value_float':
      floats.set(name, tensor([], [a.f ?? 0]));
      return;
    case 'value_floats':
      floats.set(name, tensor([a.floats?.length ?? 0], a.floats ?? []));
      return;
    case 'value_int':
      integers.set(name, [num(a.i)]);
      return;
    case 'value_ints':
      integers.set(name, (a.ints ?? []).map(num));
      return;
    default:
      throw new UnsupportedGraphError(`Constant ${a.name ?? ''}`);
  }
}
