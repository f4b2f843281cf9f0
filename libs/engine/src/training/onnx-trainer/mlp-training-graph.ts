// The ONNX graphs that train K stacked MLPs on onnxruntime's CPU kernels (issue 10): the forward pass, the
// hand-derived backward pass (matrix products, activation derivatives and the softmax cross-entropy
// gradient) and the Adam or SGD update, all inside an ONNX `Loop` over one epoch's batches, so an epoch is
// one session call. The dataset is a graph input passed once per call (onnxruntime-node wraps the typed
// array, it does not copy it); each step slices its rows out of the epoch's shuffled index tensor and
// gathers them inside the graph. Weights and optimiser moments are graph inputs and outputs.
//
// Layout of the K models (the same as the former tfjs trainer's, bench/legacy/): the first layer of all K models is one wide
// [d, K*h1] matrix (the input rows are shared), later layers are batched [K, in, out] with biases [K, 1, out].
// Standardisation is folded into the first layer (W_eff = W * scale, b_eff = b - sum_i W[i] * shift[i],
// scale = 1/std and shift = mean/std per model and feature), so the optimiser works in standardised
// coordinates. The loss is, as in the tfjs trainer, the sum over models of each model's mean cross-entropy
// over its IN rows of the batch, plus l2 * the sum of squared kernels.
import type { Activation } from '../mlp';
import { GraphBuilder, type ElementType, type ValueType } from './onnx-graph-builder';

export interface StackedMlpShape {
  /** [nFeatures, ...hidden, numClasses] */
  readonly widths: readonly number[];
  /** Models stacked in the graph. */
  readonly k: number;
  readonly activation: Activation;
  readonly l2: number;
  readonly elementType: ElementType;
  /**
   * The `features` input is already standardised (by the host, once per training call): the graph has no
   * `scale` and `shift` inputs and the first layer is a plain Gemm. Only for K = 1 (stacked models standardise
   * with their own subsets' statistics); it saves two [d, h1] elementwise passes and a reduction per step in
   * forward and backward, which is what a wide first layer (784 inputs) spends besides its matrix products.
   */
  readonly standardizedInput?: boolean;
}

export type OptimizerSpec =
  | { readonly kind: 'adam'; readonly beta1: number; readonly beta2: number; readonly epsilon: number }
  | { readonly kind: 'sgd'; readonly learningRate: number };

export interface EpochGraphSpec extends StackedMlpShape {
  readonly optimizer: OptimizerSpec;
  /** Pool rows per step (the last step of an epoch takes what is left). */
  readonly poolBatch: number;
  /** Sum the steps' losses into `loss_sum` (default true); false leaves it 0 and saves a few nodes per step. */
  readonly trackLoss?: boolean;
  /** When set, the graph also measures each model's fit on its IN rows after the epoch, this many rows at a time. */
  readonly fitChunkRows?: number;
}

export interface ParameterInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly kernel: boolean;
}

/** The graph's parameters in order: w0, b0, w1, b1, ... (layer 0 stacked wide, later layers batched). */
export function stackedParameters(widths: readonly number[], k: number): ParameterInfo[] {
  const params: ParameterInfo[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l] as number;
    const fanOut = widths[l + 1] as number;
    if (l === 0) {
      params.push({ name: 'w0', dims: [fanIn, k * fanOut], kernel: true });
      params.push({ name: 'b0', dims: [k * fanOut], kernel: false });
    } else {
      params.push({ name: `w${l}`, dims: [k, fanIn, fanOut], kernel: true });
      params.push({ name: `b${l}`, dims: [k, 1, fanOut], kernel: false });
    }
  }
  return params;
}

/** Names of the graph's data inputs (their shapes: features [n, d], one-hot labels [n, C], IN mask [n, K]). */
export const DATA_INPUTS = ['features', 'onehot', 'mask', 'scale', 'shift'] as const;

interface Batch {
  readonly x: string; // [B, d]
  readonly y: string; // [B, C]
  readonly maskKB1: string; // [K, B, 1]
}

function gatherBatch(g: GraphBuilder, rows: string): Batch {
  const x = g.op('Gather', ['features', rows], { axis: 0 });
  const y = g.op('Gather', ['onehot', rows], { axis: 0 });
  const maskBK = g.op('Gather', ['mask', rows], { axis: 0 });
  const maskKB1 = g.op('Unsqueeze', [g.op('Transpose', [maskBK], { perm: [1, 0] }), g.ints([2])]);
  return { x, y, maskKB1 };
}

function activate(g: GraphBuilder, activation: Activation, z: string): string {
  switch (activation) {
    case 'relu':
      return g.op('Relu', [z]);
    case 'tanh':
      return g.op('Tanh', [z]);
    case 'sigmoid':
      return g.op('Sigmoid', [z]);
  }
}

/** The gradient through the activation: dA times d activation / d pre-activation, written in terms of a. */
function throughActivation(g: GraphBuilder, activation: Activation, a: string, dA: string): string {
  switch (activation) {
    case 'relu': // a >= 0: pass dA where the unit is on (one select, not a sign and a product)
      return g.op('Where', [g.op('Greater', [a, g.scalar(0)]), dA, g.scalar(0)]);
    case 'tanh':
      return g.op('Mul', [dA, g.op('Sub', [g.scalar(1), g.op('Mul', [a, a])])]);
    case 'sigmoid':
      return g.op('Mul', [dA, g.op('Mul', [a, g.op('Sub', [g.scalar(1), a])])]);
  }
}

interface Forward {
  readonly firstWeights: string; // W_eff
  readonly activations: string[]; // [K, B, h_l] for each hidden layer
  readonly logits: string; // [K, B, C]
}

function forward(g: GraphBuilder, shape: StackedMlpShape, params: readonly string[], x: string): Forward {
  const { widths, k } = shape;
  const h1 = widths[1] as number;
  const w0 = params[0] as string;
  if (shape.standardizedInput) {
    const z1 = g.op('Gemm', [x, w0, params[1] as string]);
    let z = k === 1 ? g.op('Unsqueeze', [z1, g.ints([0])]) : reshapeStacked(g, z1, k, h1);
    const activations: string[] = [];
    for (let l = 1; l + 1 < widths.length; l++) {
      const a = activate(g, shape.activation, z);
      activations.push(a);
      z = g.op('Add', [g.op('MatMul', [a, params[2 * l] as string]), params[2 * l + 1] as string]);
    }
    return { firstWeights: w0, activations, logits: z };
  }
  const firstWeights = g.op('Mul', [w0, 'scale']);
  const shiftTimesW = g.op('ReduceSum', [g.op('Mul', [w0, 'shift']), g.ints([0])], { keepdims: 0 });
  const firstBias = g.op('Sub', [params[1] as string, shiftTimesW]);
  const z1 = g.op('Gemm', [x, firstWeights, firstBias]);
  let z = reshapeStacked(g, z1, k, h1);
  const activations: string[] = [];
  for (let l = 1; l + 1 < widths.length; l++) {
    const a = activate(g, shape.activation, z);
    activations.push(a);
    z = g.op('Add', [g.op('MatMul', [a, params[2 * l] as string]), params[2 * l + 1] as string]);
  }
  return { firstWeights, activations, logits: z };
}

function squeeze0(g: GraphBuilder, value: string): string {
  return g.op('Squeeze', [value, g.ints([0])]);
}

/** [B, K*h] -> [K, B, h]. */
function reshapeStacked(g: GraphBuilder, z: string, k: number, h: number): string {
  return g.op('Transpose', [g.op('Reshape', [z, g.ints([-1, k, h])])], { perm: [1, 0, 2] });
}

interface LossAndGradients {
  /** Scalar: sum over models of the mean CE over the model's IN rows of the batch, plus the L2 term. */
  readonly loss: string;
  readonly gradients: string[];
}

function lossAndGradients(
  g: GraphBuilder,
  shape: StackedMlpShape,
  params: readonly string[],
  batch: Batch,
  withLoss = true,
): LossAndGradients {
  const { widths, k, l2 } = shape;
  const layers = widths.length - 1;
  const f = forward(g, shape, params, batch.x);
  const logProb = g.op('LogSoftmax', [f.logits], { axis: -1 });
  const y3 = g.op('Unsqueeze', [batch.y, g.ints([0])]); // [1, B, C]
  const count = g.op('Max', [g.op('ReduceSum', [batch.maskKB1, g.ints([1])], { keepdims: 1 }), g.scalar(1)]);
  // The loss value is only reported; the gradients below do not use it (and are the same nodes either way,
  // so weights do not depend on whether anyone asked for the loss).
  let loss = g.scalar(0);
  const kernels = params.filter((_, i) => i % 2 === 0);
  if (withLoss) {
    const ce = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [y3, logProb]), g.ints([-1])], { keepdims: 1 })]);
    const perModel = g.op('Div', [
      g.op('ReduceSum', [g.op('Mul', [ce, batch.maskKB1]), g.ints([1])], { keepdims: 1 }),
      count,
    ]);
    loss = g.op('ReduceSum', [perModel], { keepdims: 0 });
  }
  if (withLoss && l2 > 0) {
    for (const w of kernels) {
      loss = g.op('Add', [
        loss,
        g.op('Mul', [g.scalar(l2), g.op('ReduceSum', [g.op('Mul', [w, w])], { keepdims: 0 })]),
      ]);
    }
  }
  const withL2 = (grad: string, w: string) => (l2 > 0 ? g.op('Add', [grad, g.op('Mul', [g.scalar(2 * l2), w])]) : grad);

  const gradients: string[] = new Array<string>(params.length);
  // d loss / d logits = (softmax - onehot) * mask / count, per model.
  let delta = g.op('Div', [g.op('Mul', [g.op('Sub', [g.op('Exp', [logProb]), y3]), batch.maskKB1]), count]);
  for (let l = layers - 1; l >= 1; l--) {
    const a = f.activations[l - 1] as string;
    const w = params[2 * l] as string;
    // One model: 2-D Gemms with transA / transB read the operands transposed in place (no Transpose copy).
    const dW =
      k === 1
        ? g.op('Unsqueeze', [g.op('Gemm', [squeeze0(g, a), squeeze0(g, delta)], { transA: 1 }), g.ints([0])])
        : g.op('MatMul', [g.op('Transpose', [a], { perm: [0, 2, 1] }), delta]);
    gradients[2 * l] = withL2(dW, w);
    gradients[2 * l + 1] = g.op('ReduceSum', [delta, g.ints([1])], { keepdims: 1 });
    const dA =
      k === 1
        ? g.op('Unsqueeze', [g.op('Gemm', [squeeze0(g, delta), squeeze0(g, w)], { transB: 1 }), g.ints([0])])
        : g.op('MatMul', [delta, g.op('Transpose', [w], { perm: [0, 2, 1] })]);
    delta = throughActivation(g, shape.activation, a, dA);
  }
  const h1 = widths[1] as number;
  const flat =
    k === 1
      ? squeeze0(g, delta)
      : g.op('Reshape', [g.op('Transpose', [delta], { perm: [1, 0, 2] }), g.ints([-1, k * h1])]);
  const dFirstWeights = g.op('Gemm', [batch.x, flat], { transA: 1 });
  const dFirstBias = g.op('ReduceSum', [flat, g.ints([0])], { keepdims: 0 });
  if (shape.standardizedInput) {
    gradients[0] = withL2(dFirstWeights, params[0] as string);
    gradients[1] = dFirstBias;
    return { loss, gradients };
  }
  // Through W_eff = W * scale and b_eff = b - sum_i W[i] * shift[i].
  const dW0 = g.op('Sub', [g.op('Mul', [dFirstWeights, 'scale']), g.op('Mul', ['shift', dFirstBias])]);
  gradients[0] = withL2(dW0, params[0] as string);
  gradients[1] = dFirstBias;
  return { loss, gradients };
}

function declareDataInputs(g: GraphBuilder, shape: StackedMlpShape): void {
  const { widths, k, elementType } = shape;
  const d = widths[0] as number;
  const c = widths[widths.length - 1] as number;
  const h1 = widths[1] as number;
  g.input('features', elementType, ['n', d]);
  g.input('onehot', elementType, ['n', c]);
  g.input('mask', elementType, ['n', k]);
  if (shape.standardizedInput) return;
  g.input('scale', elementType, [d, k * h1]);
  g.input('shift', elementType, [d, k * h1]);
}

/**
 * One batch, no update: inputs are the data, `rows` (int64 [B]) and the parameters; outputs `loss` and
 * `grad_<param>` for each parameter. For gradient checks against finite differences.
 */
export function buildGradientGraph(shape: StackedMlpShape): Uint8Array {
  const g = new GraphBuilder(shape.elementType);
  declareDataInputs(g, shape);
  const rows = g.input('rows', 'int64', ['b']);
  const infos = stackedParameters(shape.widths, shape.k);
  const params = infos.map((p) => g.input(p.name, shape.elementType, p.dims));
  const { loss, gradients } = lossAndGradients(g, shape, params, gatherBatch(g, rows));
  g.output(loss, 'loss', shape.elementType, []);
  infos.forEach((p, i) => g.output(gradients[i] as string, `grad_${p.name}`, shape.elementType, p.dims));
  return g.model('mlp_gradients');
}

/** Where each parameter lies in the flat parameter vector of the epoch graph. */
export function parameterOffsets(infos: readonly ParameterInfo[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const p of infos) {
    offsets.push(total);
    total += p.dims.reduce((a, b) => a * b, 1);
  }
  return { offsets, total };
}

/** The parameters as views (Slice + Reshape) of a flat vector. */
function unflatten(g: GraphBuilder, flat: string, infos: readonly ParameterInfo[]): string[] {
  const { offsets } = parameterOffsets(infos);
  return infos.map((p, i) => {
    const start = offsets[i] as number;
    const size = p.dims.reduce((a, b) => a * b, 1);
    return g.op('Reshape', [g.op('Slice', [flat, g.ints([start]), g.ints([start + size])]), g.ints([...p.dims])]);
  });
}

/**
 * Above this many parameters the Loop carries each parameter (and its Adam moments) as its own tensor
 * instead of one flat vector: the flat vector costs a Slice per parameter and a Concat of the gradients per
 * step, copies that a wide model (784-256-128-10: 235k parameters) pays more for than for its extra nodes;
 * a narrow one pays more for nodes (onnxruntime's per-node cost dominates its steps). The graph's inputs and
 * outputs are flat either way. Measured with bench:training (see docs/ARCHITECTURE.md, Training).
 */
export const PER_PARAMETER_STATE_MIN_PARAMETERS = 50_000;

/**
 * Adam's host-side per-step factors for the graph's update (t = 1, 2, ... counts steps from the start of
 * training). The graph keeps the moments unnormalised, m~ = m / (1 - beta1) and v~ = v / (1 - beta2), so a
 * step is m~ = beta1 m~ + g, v~ = beta2 v~ + g^2 (no (1 - beta) products), and Adam's
 * lr m^ / (sqrt(v^) + epsilon), with m^ = m / (1 - beta1^t) and v^ = v / (1 - beta2^t), equals
 * step_size m~ / (sqrt(v~) + step_epsilon) with R = sqrt((1 - beta2^t) / (1 - beta2)),
 * step_size = lr (1 - beta1) / (1 - beta1^t) R and step_epsilon = epsilon R. Double precision here.
 */
export function adamStepFactors(
  adam: { readonly beta1: number; readonly beta2: number; readonly epsilon: number },
  learningRate: number,
  t: number,
): { stepSize: number; stepEpsilon: number } {
  const r = Math.sqrt((1 - Math.pow(adam.beta2, t)) / (1 - adam.beta2));
  return {
    stepSize: ((learningRate * (1 - adam.beta1)) / (1 - Math.pow(adam.beta1, t))) * r,
    stepEpsilon: adam.epsilon * r,
  };
}

/**
 * One epoch as one call. Inputs: the data, `order` (int64 [A]: the epoch's shuffled pool rows), `steps`
 * (int64 scalar), `params` (every parameter of the K models, flat, in stackedParameters order), for Adam
 * its moments `m` and `v` (flat, unnormalised: see adamStepFactors) and, per step, `step_size` and
 * `step_epsilon` (adamStepFactors, computed on the host in double precision); with fitChunkRows also
 * `fit_rows` (int64 [R]) and `fit_chunks` (int64 scalar).
 * Outputs: `loss_sum` (sum of the steps' losses), `params_out`, `m_out`, `v_out`, and with fitChunkRows
 * `fit_loss_sum` and `fit_correct` ([K]: summed CE and correct rows over each model's IN rows).
 * Small models carry their parameters through the Loop as one flat vector so that the optimiser is a few
 * operations per step, not a few per parameter (for narrow models onnxruntime's per-node cost, not
 * arithmetic, dominates a step); large ones per parameter (PER_PARAMETER_STATE_MIN_PARAMETERS).
 */
export function buildEpochGraph(spec: EpochGraphSpec): Uint8Array {
  const t = spec.elementType;
  const g = new GraphBuilder(t);
  declareDataInputs(g, spec);
  g.input('order', 'int64', ['a']);
  const steps = g.input('steps', 'int64', []);
  const adam = spec.optimizer.kind === 'adam';
  if (adam) {
    g.input('step_size', t, ['steps']);
    g.input('step_epsilon', t, ['steps']);
  }
  const infos = stackedParameters(spec.widths, spec.k);
  const { total } = parameterOffsets(infos);
  const carried = adam ? ['params', 'm', 'v'] : ['params'];
  for (const name of carried) g.input(name, t, [total]);
  const perParameter = total >= PER_PARAMETER_STATE_MIN_PARAMETERS;
  // The tensors the Loop carries: [name][i] (one flat vector each, or one per parameter).
  const parts = perParameter ? infos.map((p) => p.dims) : [[total]];
  const loopInputs = carried.flatMap((name) => (perParameter ? unflatten(g, name, infos) : [name]));

  const body = g.subgraph();
  const iter = body.input('step_iter', 'int64', []);
  const condIn = body.input('step_cond', 'bool', []);
  const lossIn = body.input('step_loss_in', t, []);
  const state = carried.map((name) => parts.map((dims, i) => body.input(`step_${name}_${i}_in`, t, dims)));
  const [theta, m, v] = state as [string[], string[] | undefined, string[] | undefined];
  const start = body.op('Mul', [iter, body.intScalar(spec.poolBatch)]);
  const end = body.op('Add', [start, body.intScalar(spec.poolBatch)]);
  const rows = body.op('Slice', [
    'order',
    body.op('Unsqueeze', [start, body.ints([0])]),
    body.op('Unsqueeze', [end, body.ints([0])]),
  ]);
  const { loss, gradients } = lossAndGradients(
    body,
    spec,
    perParameter ? theta : unflatten(body, theta[0] as string, infos),
    gatherBatch(body, rows),
    spec.trackLoss ?? true,
  );
  const grads = perParameter
    ? gradients
    : [
        body.op(
          'Concat',
          gradients.map((gr) => body.op('Reshape', [gr, body.ints([-1])])),
          { axis: 0 },
        ),
      ];
  body.output(condIn, 'step_cond_out', 'bool', []);
  if (spec.trackLoss ?? true) body.opNamed('step_loss_out', 'Add', [lossIn, loss]);
  else body.opNamed('step_loss_out', 'Identity', [lossIn]);
  if (spec.optimizer.kind === 'sgd') {
    const lr = body.scalar(spec.optimizer.learningRate);
    grads.forEach((grad, i) =>
      body.opNamed(`step_params_${i}_out`, 'Sub', [theta[i] as string, body.op('Mul', [grad, lr])]),
    );
  } else {
    const { beta1, beta2 } = spec.optimizer;
    const stepSize = body.op('Gather', ['step_size', iter], { axis: 0 });
    const stepEpsilon = body.op('Gather', ['step_epsilon', iter], { axis: 0 });
    grads.forEach((grad, i) => {
      const newM = body.opNamed(`step_m_${i}_out`, 'Add', [
        body.op('Mul', [(m as string[])[i] as string, body.scalar(beta1)]),
        grad,
      ]);
      const newV = body.opNamed(`step_v_${i}_out`, 'Add', [
        body.op('Mul', [(v as string[])[i] as string, body.scalar(beta2)]),
        body.op('Mul', [grad, grad]),
      ]);
      const direction = body.op('Div', [newM, body.op('Add', [body.op('Sqrt', [newV]), stepEpsilon])]);
      body.opNamed(`step_params_${i}_out`, 'Sub', [theta[i] as string, body.op('Mul', [direction, stepSize])]);
    });
  }

  body.declareOutput('step_loss_out', t, []);
  for (const name of carried) parts.forEach((dims, i) => body.declareOutput(`step_${name}_${i}_out`, t, dims));

  const loopOut = g.opMulti('Loop', [steps, '', g.scalar(0), ...loopInputs], 1 + loopInputs.length, {
    body: body.graph('epoch_step'),
  });
  g.output(loopOut[0] as string, 'loss_sum', t, []);
  const finalState = carried.map((_, c) => loopOut.slice(1 + c * parts.length, 1 + (c + 1) * parts.length));
  carried.forEach((name, c) => {
    const values = finalState[c] as string[];
    const flat = perParameter
      ? g.op(
          'Concat',
          values.map((value) => g.op('Reshape', [value, g.ints([-1])])),
          { axis: 0 },
        )
      : (values[0] as string);
    g.output(flat, `${name}_out`, t, [total]);
  });
  if (spec.fitChunkRows !== undefined) {
    const trained = finalState[0] as string[];
    addFitLoop(g, spec, perParameter ? trained : unflatten(g, trained[0] as string, infos), spec.fitChunkRows);
  }
  return g.model('mlp_epoch');
}

/** Each model's summed CE and number of correct rows over its IN rows of `fit_rows`, chunk by chunk. */
function addFitLoop(g: GraphBuilder, shape: StackedMlpShape, params: readonly string[], chunkRows: number): void {
  const t: ValueType = shape.elementType;
  const k = shape.k;
  g.input('fit_rows', 'int64', ['r']);
  const chunks = g.input('fit_chunks', 'int64', []);
  const body = g.subgraph();
  const iter = body.input('fit_iter', 'int64', []);
  const condIn = body.input('fit_cond', 'bool', []);
  const lossIn = body.input('fit_loss_in', t, [k]);
  const correctIn = body.input('fit_correct_in', t, [k]);
  const start = body.op('Mul', [iter, body.intScalar(chunkRows)]);
  const end = body.op('Add', [start, body.intScalar(chunkRows)]);
  const rows = body.op('Slice', [
    'fit_rows',
    body.op('Unsqueeze', [start, body.ints([0])]),
    body.op('Unsqueeze', [end, body.ints([0])]),
  ]);
  const batch = gatherBatch(body, rows);
  const f = forward(body, shape, params, batch.x);
  const logProb = body.op('LogSoftmax', [f.logits], { axis: -1 });
  const y3 = body.op('Unsqueeze', [batch.y, body.ints([0])]);
  const ce = body.op('Neg', [body.op('ReduceSum', [body.op('Mul', [y3, logProb]), body.ints([-1])], { keepdims: 1 })]);
  const lossPart = body.op('ReduceSum', [body.op('Mul', [ce, batch.maskKB1]), body.ints([1, 2])], { keepdims: 0 });
  const predicted = body.op('ArgMax', [f.logits], { axis: -1, keepdims: 0 }); // [K, B]
  const label = body.op('ArgMax', [batch.y], { axis: 1, keepdims: 0 }); // [B]
  const correct = body.op('Cast', [body.op('Equal', [predicted, label])], { to: t === 'float64' ? 11 : 1 });
  const maskKB = body.op('Squeeze', [batch.maskKB1, body.ints([2])]);
  const correctPart = body.op('ReduceSum', [body.op('Mul', [correct, maskKB]), body.ints([1])], { keepdims: 0 });
  body.output(condIn, 'fit_cond_out', 'bool', []);
  body.output(body.op('Add', [lossIn, lossPart]), 'fit_loss_out', t, [k]);
  body.output(body.op('Add', [correctIn, correctPart]), 'fit_correct_out', t, [k]);
  const zeros = g.constant(t, [k], new Array<number>(k).fill(0));
  const [lossSum, correctSum] = g.opMulti('Loop', [chunks, '', zeros, zeros], 2, { body: body.graph('fit_chunk') });
  g.output(lossSum as string, 'fit_loss_sum', t, [k]);
  g.output(correctSum as string, 'fit_correct', t, [k]);
}
