// A small helper for writing ONNX graphs node by node with onnx-proto: unique value names, typed
// constants and subgraphs (the body of a Loop). It knows nothing about training.
import { onnx } from 'onnx-proto';

export type ElementType = 'float32' | 'float64';

const DATA_TYPES = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
} as const;

export type ValueType = keyof typeof DATA_TYPES;

type AttributeValue = number | number[] | onnx.IGraphProto;

export const OPSET = 17;

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  // Only integer attributes are written: every float a graph needs is a typed constant input.
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.GRAPH, g: value };
}

export function valueInfo(name: string, type: ValueType, dims?: ReadonlyArray<number | string>): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: DATA_TYPES[type] };
  if (dims) {
    tensorType.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  }
  return { name, type: { tensorType } };
}

/** Builds one graph (the main graph or a subgraph); constants of a subgraph go to its root graph. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly counter: { next: number };
  private readonly constants: Map<string, string>;

  constructor(
    readonly elementType: ElementType,
    private readonly root?: GraphBuilder,
  ) {
    this.counter = root ? root.counter : { next: 0 };
    this.constants = root ? root.constants : new Map();
  }

  /** A subgraph that shares names and constants with this graph's root (outer-scope values are visible). */
  subgraph(): GraphBuilder {
    return new GraphBuilder(this.elementType, this.root ?? this);
  }

  input(name: string, type: ValueType, dims?: ReadonlyArray<number | string>): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(value: string, name: string, type: ValueType, dims?: ReadonlyArray<number | string>): void {
    this.nodes.push({ opType: 'Identity', domain: '', input: [value], output: [name] });
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** One node whose one output is called `name` (e.g. a graph output, declared with declareOutput); returns `name`. */
  opNamed(
    name: string,
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
  ): string {
    const id = this.counter.next++;
    this.nodes.push({
      name: `${opType}_${id}`,
      opType,
      domain: '',
      input: [...inputs],
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return name;
  }

  /** Declares an existing value as the graph's next output (a Loop body's outputs are positional). */
  declareOutput(name: string, type: ValueType, dims?: ReadonlyArray<number | string>): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** One node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    const [out] = this.opMulti(opType, inputs, 1, attributes);
    return out as string;
  }

  opMulti(
    opType: string,
    inputs: readonly string[],
    nOutputs: number,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const id = this.counter.next++;
    const output = Array.from({ length: nOutputs }, (_, i) => `${opType}_${id}_${i}`);
    this.nodes.push({
      name: `${opType}_${id}`,
      opType,
      domain: '',
      input: [...inputs],
      output,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return output;
  }

  /** A constant of the graph's element type (a scalar when dims is []). */
  scalar(value: number): string {
    return this.constant(this.elementType, [], [value]);
  }

  ints(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  intScalar(value: number): string {
    return this.constant('int64', [], [value]);
  }

  constant(type: ValueType, dims: readonly number[], values: readonly number[]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${this.counter.next++}`;
    const raw =
      type === 'float32'
        ? new Uint8Array(Float32Array.from(values).buffer)
        : type === 'float64'
          ? new Uint8Array(Float64Array.from(values).buffer)
          : type === 'int64'
            ? new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
            : Uint8Array.from(values);
    (this.root ?? this).initializers.push({ name, dims: [...dims], dataType: DATA_TYPES[type], rawData: raw });
    this.constants.set(key, name);
    return name;
  }

  /** An initializer holding `values` (e.g. trained weights), raw float32 bytes; never shared with another. */
  tensor(type: 'float32', dims: readonly number[], values: Float32Array): string {
    const name = `tensor_${this.counter.next++}`;
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    (this.root ?? this).initializers.push({ name, dims: [...dims], dataType: DATA_TYPES[type], rawData: raw });
    return name;
  }

  graph(name: string): onnx.IGraphProto {
    return {
      name,
      node: this.nodes,
      input: this.inputs,
      output: this.outputs,
      initializer: this.root ? [] : this.initializers,
    };
  }

  model(name: string): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion: 8,
      producerName: 'privaudit',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: this.graph(name),
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
