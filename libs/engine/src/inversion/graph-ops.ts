// The operators white-box MI-Face rebuilds from an ONNX graph (onnx-graph-gradient.ts), each with its forward pass
// in double precision and its exact backward pass (the vector-Jacobian product), following the ONNX operator
// specification (https://onnx.ai/onnx/operators/): Gemm, MatMul, Add / Sub / Mul / Div (numpy broadcasting),
// Relu, Sigmoid, Tanh, Softmax (opset < 13: over the flattened trailing axes; >= 13: over one axis), Conv and
// MaxPool (1-D and 2-D, pads / strides / dilations / auto_pad, Conv with any group, MaxPool with ceil_mode),
// Flatten and Reshape. One input row at a time (batch 1). Every backward pass is checked against finite
// differences in graph-ops.spec.ts.

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A forward result and the backward pass: the gradient of each input from the gradient of the output. */
export interface OpResult {
  readonly out: Tensor;
  readonly backward: (gOut: Float64Array) => ReadonlyArray<Float64Array | undefined>;
}

export class UnsupportedGraphError extends Error {
  override readonly name = 'UnsupportedGraphError';
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function tensor(shape: readonly number[], data?: ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  if (data !== undefined && data.length !== n) {
    throw new UnsupportedGraphError(`a tensor of shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
  }
  return { shape: [...shape], data: data ? Float64Array.from(data) : new Float64Array(n) };
}

// --- elementwise --------------------------------------------------------------------------------------------

export type Activation = 'Relu' | 'Sigmoid' | 'Tanh';

export function activation(kind: Activation, x: Tensor): OpResult {
  const y = new Float64Array(x.data.length);
  for (let i = 0; i < y.length; i++) {
    const v = x.data[i] as number;
    y[i] = kind === 'Relu' ? (v > 0 ? v : 0) : kind === 'Tanh' ? Math.tanh(v) : 1 / (1 + Math.exp(-v));
  }
  return {
    out: { shape: x.shape, data: y },
    backward: (g) => {
      const gx = new Float64Array(g.length);
      for (let i = 0; i < g.length; i++) {
        const a = y[i] as number;
        const d = kind === 'Relu' ? ((x.data[i] as number) > 0 ? 1 : 0) : kind === 'Tanh' ? 1 - a * a : a * (1 - a);
        gx[i] = (g[i] as number) * d;
      }
      return [gx];
    },
  };
}

export type Binary = 'Add' | 'Sub' | 'Mul' | 'Div';

/** Numpy (multidirectional) broadcasting of two shapes. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new UnsupportedGraphError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** For each output element, the index of the input element broadcast into it. */
function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const padded = [...Array<number>(rank - inShape.length).fill(1), ...inShape];
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d] as number;
  }
  const index = new Int32Array(n);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < rank; d++) k += (coord[d] as number) * (strides[d] as number);
    index[i] = k;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d] = (coord[d] as number) + 1;
      if ((coord[d] as number) < (outShape[d] as number)) break;
      coord[d] = 0;
    }
  }
  return index;
}

export function binary(kind: Binary, a: Tensor, b: Tensor): OpResult {
  const shape = broadcastShape(a.shape, b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const y = new Float64Array(ia.length);
  for (let i = 0; i < y.length; i++) {
    const u = a.data[ia[i] as number] as number;
    const v = b.data[ib[i] as number] as number;
    y[i] = kind === 'Add' ? u + v : kind === 'Sub' ? u - v : kind === 'Mul' ? u * v : u / v;
  }
  return {
    out: { shape, data: y },
    backward: (g) => {
      const ga = new Float64Array(a.data.length);
      const gb = new Float64Array(b.data.length);
      for (let i = 0; i < g.length; i++) {
        const gi = g[i] as number;
        const u = a.data[ia[i] as number] as number;
        const v = b.data[ib[i] as number] as number;
        const [da, db] =
          kind === 'Add' ? [1, 1] : kind === 'Sub' ? [1, -1] : kind === 'Mul' ? [v, u] : [1 / v, -u / (v * v)];
        ga[ia[i] as number] = (ga[ia[i] as number] as number) + gi * da;
        gb[ib[i] as number] = (gb[ib[i] as number] as number) + gi * db;
      }
      return [ga, gb];
    },
  };
}

// --- dense --------------------------------------------------------------------------------------------------

/** C = A B for 2-D A [m, k] and B [k, n] (numpy matmul of matrices; a 1-D operand is promoted as numpy does). */
export function matMul(a: Tensor, b: Tensor): OpResult {
  const aShape = a.shape.length === 1 ? [1, a.shape[0] as number] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0] as number, 1] : b.shape;
  if (aShape.length !== 2 || bShape.length !== 2 || aShape[1] !== bShape[0]) {
    throw new UnsupportedGraphError(`MatMul of [${a.shape.join(', ')}] and [${b.shape.join(', ')}] (2-D only)`);
  }
  const [m, k] = aShape as [number, number];
  const n = bShape[1] as number;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const v = a.data[i * k + p] as number;
      if (v === 0) continue;
      for (let j = 0; j < n; j++) y[i * n + j] = (y[i * n + j] as number) + v * (b.data[p * n + j] as number);
    }
  }
  const outShape = a.shape.length === 1 ? (b.shape.length === 1 ? [] : [n]) : b.shape.length === 1 ? [m] : [m, n];
  return {
    out: { shape: outShape, data: y },
    backward: (g) => {
      const ga = new Float64Array(m * k);
      const gb = new Float64Array(k * n);
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          let s = 0;
          for (let j = 0; j < n; j++) {
            const gij = g[i * n + j] as number;
            s += gij * (b.data[p * n + j] as number);
            gb[p * n + j] = (gb[p * n + j] as number) + (a.data[i * k + p] as number) * gij;
          }
          ga[i * k + p] = s;
        }
      }
      return [ga, gb];
    },
  };
}

function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j] as number;
  return { shape: [c, r], data: out };
}

/** Gemm: Y = alpha op(A) op(B) + beta C, C broadcast to [m, n]. */
export function gemm(
  a: Tensor,
  b: Tensor,
  c: Tensor | undefined,
  attrs: { alpha: number; beta: number; transA: boolean; transB: boolean },
): OpResult {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new UnsupportedGraphError('Gemm needs 2-D A and B');
  const opA = attrs.transA ? transpose2d(a) : a;
  const opB = attrs.transB ? transpose2d(b) : b;
  const prod = matMul(opA, opB);
  const scaled = prod.out.data.map((v) => attrs.alpha * v);
  const bias = c ? binary('Add', { shape: prod.out.shape, data: scaled }, scale(c, attrs.beta)) : undefined;
  return {
    out: bias ? bias.out : { shape: prod.out.shape, data: scaled },
    backward: (g) => {
      const [gProd, gBias] = bias ? bias.backward(g) : [g, undefined];
      const [gA, gB] = prod.backward((gProd as Float64Array).map((v) => attrs.alpha * v));
      const [m, k] = opA.shape as [number, number];
      const n = opB.shape[1] as number;
      const back = (gt: Float64Array, rows: number, cols: number, trans: boolean) =>
        trans ? transpose2d({ shape: [rows, cols], data: gt }).data : gt;
      return [
        back(gA as Float64Array, m, k, attrs.transA),
        back(gB as Float64Array, k, n, attrs.transB),
        gBias ? gBias.map((v) => attrs.beta * v) : undefined,
      ];
    },
  };
}

function scale(t: Tensor, factor: number): Tensor {
  return { shape: t.shape, data: t.data.map((v) => factor * v) };
}

// --- softmax ------------------------------------------------------------------------------------------------

/** Softmax; `legacy` (opset < 13) normalises over all axes from `axis` on, opset >= 13 over `axis` alone. */
export function softmax(x: Tensor, axis: number, legacy: boolean): OpResult {
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= Math.max(rank, 1)) throw new UnsupportedGraphError(`Softmax axis ${axis} of rank ${rank}`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const len = legacy ? sizeOf(x.shape.slice(ax)) : (x.shape[ax] as number);
  const inner = legacy ? 1 : sizeOf(x.shape.slice(ax + 1));
  const y = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => o * len * inner + j * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < len; j++) max = Math.max(max, x.data[at(j)] as number);
      let sum = 0;
      for (let j = 0; j < len; j++) {
        const e = Math.exp((x.data[at(j)] as number) - max);
        y[at(j)] = e;
        sum += e;
      }
      for (let j = 0; j < len; j++) y[at(j)] = (y[at(j)] as number) / sum;
    }
  }
  return {
    out: { shape: x.shape, data: y },
    backward: (g) => {
      const gx = new Float64Array(g.length);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const at = (j: number) => o * len * inner + j * inner + i;
          let dot = 0;
          for (let j = 0; j < len; j++) dot += (g[at(j)] as number) * (y[at(j)] as number);
          for (let j = 0; j < len; j++) gx[at(j)] = (y[at(j)] as number) * ((g[at(j)] as number) - dot);
        }
      }
      return [gx];
    },
  };
}

// --- shape --------------------------------------------------------------------------------------------------

/** Flatten to [prod(dims before axis), prod(dims from axis)]. */
export function flatten(x: Tensor, axis: number): OpResult {
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax > rank) throw new UnsupportedGraphError(`Flatten axis ${axis} of rank ${rank}`);
  return {
    out: { shape: [sizeOf(x.shape.slice(0, ax)), sizeOf(x.shape.slice(ax))], data: x.data },
    backward: (g) => [g],
  };
}

/** Reshape: 0 copies the input's dimension (unless allowzero), one -1 is inferred. */
export function reshape(x: Tensor, target: readonly number[], allowZero: boolean): OpResult {
  const shape = target.map((d, i) => (d === 0 && !allowZero ? (x.shape[i] as number) : d));
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1 || shape.some((d) => d < -1)) throw new UnsupportedGraphError(`Reshape to [${target.join(', ')}]`);
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    shape[shape.indexOf(-1)] = known === 0 ? 0 : x.data.length / known;
  }
  if (sizeOf(shape) !== x.data.length || shape.some((d) => !Number.isInteger(d))) {
    throw new UnsupportedGraphError(`Reshape of [${x.shape.join(', ')}] to [${target.join(', ')}]`);
  }
  return { out: { shape, data: x.data }, backward: (g) => [g] };
}

// --- convolution and pooling --------------------------------------------------------------------------------

export interface WindowAttrs {
  /** Kernel's spatial size, e.g. [kH, kW]. */
  readonly kernel: readonly number[];
  readonly strides?: readonly number[];
  readonly dilations?: readonly number[];
  /** ONNX order: [x1_begin, x2_begin, ..., x1_end, x2_end]. */
  readonly pads?: readonly number[];
  readonly autoPad?: string;
  readonly ceilMode?: boolean;
}

interface Window {
  /** Input and output spatial sizes as [H, W] (1-D operators use H = 1). */
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly dH: number;
  readonly dW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** Output size and begin padding of one spatial axis, as the ONNX spec defines them. */
function axisWindow(
  size: number,
  k: number,
  s: number,
  d: number,
  padBegin: number,
  padEnd: number,
  autoPad: string,
  ceilMode: boolean,
): { out: number; padBegin: number } {
  const span = (k - 1) * d + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + span - size);
    return { out, padBegin: autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2) };
  }
  const [pb, pe] = autoPad === 'VALID' ? [0, 0] : [padBegin, padEnd];
  const exact = (size + pb + pe - span) / s + 1;
  let out = ceilMode ? Math.ceil(exact) : Math.floor(exact);
  // With ceil_mode the last window must start inside the input or its begin padding (ONNX reference, PyTorch).
  if (ceilMode && (out - 1) * s >= size + pb) out--;
  if (out < 1) throw new UnsupportedGraphError(`a window of ${span} over ${size} inputs gives no output`);
  return { out, padBegin: pb };
}

function windowOf(spatial: readonly number[], a: WindowAttrs, op: string): Window {
  const rank = spatial.length;
  if (rank !== 1 && rank !== 2) throw new UnsupportedGraphError(`${op} over ${rank} spatial axes (1-D and 2-D only)`);
  if (a.kernel.length !== rank) throw new UnsupportedGraphError(`${op} kernel of rank ${a.kernel.length}`);
  const autoPad = a.autoPad && a.autoPad !== '' ? a.autoPad : 'NOTSET';
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) {
    throw new UnsupportedGraphError(`${op} auto_pad ${autoPad}`);
  }
  const axes = spatial.map((size, i) =>
    axisWindow(
      size,
      a.kernel[i] as number,
      a.strides?.[i] ?? 1,
      a.dilations?.[i] ?? 1,
      a.pads?.[i] ?? 0,
      a.pads?.[i + rank] ?? 0,
      autoPad,
      a.ceilMode ?? false,
    ),
  );
  const at = <T>(values: readonly T[] | undefined, i: number, fallback: T): T => values?.[i] ?? fallback;
  const h = rank === 2 ? 0 : -1; // 1-D: a height-1 image
  const w = rank - 1;
  return {
    inH: h < 0 ? 1 : (spatial[h] as number),
    inW: spatial[w] as number,
    outH: h < 0 ? 1 : (axes[h] as { out: number }).out,
    outW: (axes[w] as { out: number }).out,
    kH: h < 0 ? 1 : (a.kernel[h] as number),
    kW: a.kernel[w] as number,
    sH: h < 0 ? 1 : at(a.strides, h, 1),
    sW: at(a.strides, w, 1),
    dH: h < 0 ? 1 : at(a.dilations, h, 1),
    dW: at(a.dilations, w, 1),
    padTop: h < 0 ? 0 : (axes[h] as { padBegin: number }).padBegin,
    padLeft: (axes[w] as { padBegin: number }).padBegin,
  };
}

/** Conv: X [N, C, (H,) W], W [M, C / group, (kH,) kW], optional bias B [M]. */
export function conv(
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  attrs: WindowAttrs & { readonly group: number; readonly weightGradient?: boolean },
): OpResult {
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw new UnsupportedGraphError(`Conv input of rank ${rank} (1-D and 2-D only)`);
  const [n, c] = x.shape as [number, number];
  const [m, cPerGroup] = w.shape as [number, number];
  const group = attrs.group;
  if (w.shape.length !== rank || c !== cPerGroup * group || m % group !== 0) {
    throw new UnsupportedGraphError(
      `Conv of [${x.shape.join(', ')}] with weights [${w.shape.join(', ')}] and group ${group}`,
    );
  }
  if (b && b.data.length !== m) throw new UnsupportedGraphError(`Conv bias of ${b.data.length} for ${m} maps`);
  const win = windowOf(
    x.shape.slice(2),
    { ...attrs, kernel: attrs.kernel.length > 0 ? attrs.kernel : w.shape.slice(2) },
    'Conv',
  );
  const { inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = win;
  const mPerGroup = m / group;
  const y = new Float64Array(n * m * outH * outW);
  const X = x.data;
  const W = w.data;
  // One pass over every (output, weight, input) triple the convolution multiplies together. mode 0: forward into
  // y; 1: input gradient into gx from gy; 2: also the weight gradient into gw.
  const pass = (mode: 0 | 1 | 2, gy?: Float64Array, gx?: Float64Array, gw?: Float64Array) => {
    for (let s = 0; s < n; s++) {
      for (let oc = 0; oc < m; oc++) {
        const g = Math.floor(oc / mPerGroup);
        for (let oh = 0; oh < outH; oh++) {
          for (let ow = 0; ow < outW; ow++) {
            const yi = ((s * m + oc) * outH + oh) * outW + ow;
            const gyi = mode === 0 ? 0 : ((gy as Float64Array)[yi] as number);
            if (mode !== 0 && gyi === 0) continue;
            let acc = 0;
            for (let ic = 0; ic < cPerGroup; ic++) {
              const xPlane = (s * c + g * cPerGroup + ic) * inH;
              const wPlane = (oc * cPerGroup + ic) * kH;
              for (let kh = 0; kh < kH; kh++) {
                const ih = oh * sH - padTop + kh * dH;
                if (ih < 0 || ih >= inH) continue;
                const xRow = (xPlane + ih) * inW;
                const wRow = (wPlane + kh) * kW;
                for (let kw = 0; kw < kW; kw++) {
                  const iw = ow * sW - padLeft + kw * dW;
                  if (iw < 0 || iw >= inW) continue;
                  const xi = xRow + iw;
                  const wi = wRow + kw;
                  if (mode === 0) acc += (W[wi] as number) * (X[xi] as number);
                  else {
                    (gx as Float64Array)[xi] = ((gx as Float64Array)[xi] as number) + (W[wi] as number) * gyi;
                    if (mode === 2)
                      (gw as Float64Array)[wi] = ((gw as Float64Array)[wi] as number) + (X[xi] as number) * gyi;
                  }
                }
              }
            }
            if (mode === 0) y[yi] = acc;
          }
        }
      }
    }
  };
  pass(0);
  if (b)
    for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + (b.data[Math.floor(i / (outH * outW)) % m] as number);
  const outShape = rank === 4 ? [n, m, outH, outW] : [n, m, outW];
  return {
    out: { shape: outShape, data: y },
    backward: (g) => {
      const gx = new Float64Array(x.data.length);
      const gw = attrs.weightGradient === false ? undefined : new Float64Array(w.data.length);
      pass(gw ? 2 : 1, g, gx, gw);
      let gb: Float64Array | undefined;
      if (b) {
        gb = new Float64Array(m);
        for (let i = 0; i < g.length; i++) {
          const oc = Math.floor(i / (outH * outW)) % m;
          gb[oc] = (gb[oc] as number) + (g[i] as number);
        }
      }
      return [gx, gw, gb];
    },
  };
}

/** MaxPool: X [N, C, (H,) W]; padded positions never win; the gradient goes to each window's (first) maximum. */
export function maxPool(x: Tensor, attrs: WindowAttrs): OpResult {
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw new UnsupportedGraphError(`MaxPool input of rank ${rank} (1-D and 2-D only)`);
  const [n, c] = x.shape as [number, number];
  const { inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft } = windowOf(
    x.shape.slice(2),
    attrs,
    'MaxPool',
  );
  const y = new Float64Array(n * c * outH * outW);
  const arg = new Int32Array(y.length).fill(-1);
  for (let plane = 0; plane < n * c; plane++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yi = (plane * outH + oh) * outW + ow;
        let best = Number.NEGATIVE_INFINITY;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * sH - padTop + kh * dH;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * sW - padLeft + kw * dW;
            if (iw < 0 || iw >= inW) continue;
            const xi = (plane * inH + ih) * inW + iw;
            if ((x.data[xi] as number) > best) {
              best = x.data[xi] as number;
              arg[yi] = xi;
            }
          }
        }
        y[yi] = best;
      }
    }
  }
  const outShape = rank === 4 ? [n, c, outH, outW] : [n, c, outW];
  return {
    out: { shape: outShape, data: y },
    backward: (g) => {
      const gx = new Float64Array(x.data.length);
      for (let i = 0; i < g.length; i++) {
        const xi = arg[i] as number;
        if (xi >= 0) gx[xi] = (gx[xi] as number) + (g[i] as number);
      }
      return [gx];
    },
  };
}
