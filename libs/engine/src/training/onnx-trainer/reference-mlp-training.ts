// A plain double-precision implementation of what the onnxruntime trainer computes, model by model (no
// stacking, no ONNX): forward, backward, masked mean cross-entropy, L2, Adam or SGD. It exists so the
// trainer can be checked against an independent implementation on fixed cases; it is far too slow to train
// anything real. It shares with the trainers only the setup (initial weights, batches, standardisation).
import { SeededRandom, deriveSeed } from '../../random/seeded-random';
import type { Activation, MlpArchitecture, MlpWeights, TrainingData } from '../mlp';
import {
  SHUFFLE_SALT,
  glorotInit,
  planSubsetTraining,
  subsetStandardization,
  type MlpSubsetTrainingOptions,
} from '../mlp-training-setup';

interface Layer {
  w: Float64Array; // [in][out]
  b: Float64Array;
  inputs: number;
  outputs: number;
}

function act(a: Activation, z: number): number {
  if (a === 'relu') return z > 0 ? z : 0;
  if (a === 'tanh') return Math.tanh(z);
  return 1 / (1 + Math.exp(-z));
}

function slope(a: Activation, y: number): number {
  if (a === 'relu') return y > 0 ? 1 : 0;
  if (a === 'tanh') return 1 - y * y;
  return y * (1 - y);
}

export function trainMlpOnSubsetsReference(
  pool: TrainingData,
  inMask: Uint8Array,
  arch: MlpArchitecture,
  opts: MlpSubsetTrainingOptions & { readonly optimizer?: 'adam' | 'sgd' },
): { models: MlpWeights[]; epochLosses: number[] } {
  const k = opts.seeds.length;
  const n = pool.nRows;
  const d = pool.nFeatures;
  const c = arch.numClasses;
  const l2 = opts.l2 ?? 0;
  const widths = [d, ...arch.hidden, c];
  const { active, poolBatch, stepsPerEpoch } = planSubsetTraining(pool, inMask, k, opts.batchSize);
  const { mean, invStd } = subsetStandardization(pool, inMask, k, opts.standardize ?? true);
  const models: Layer[][] = opts.seeds.map((seed) =>
    glorotInit(widths, seed).map((l, i) => ({
      w: Float64Array.from(l.weights),
      b: Float64Array.from(l.bias),
      inputs: widths[i] as number,
      outputs: widths[i + 1] as number,
    })),
  );
  const moments = models.map((layers) =>
    layers.map((l) => ({
      mw: new Float64Array(l.w.length),
      vw: new Float64Array(l.w.length),
      mb: new Float64Array(l.b.length),
      vb: new Float64Array(l.b.length),
    })),
  );
  const shuffler = new SeededRandom(deriveSeed(opts.seeds[0] as number, SHUFFLE_SALT));
  const epochLosses: number[] = [];
  let t = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = shuffler.shuffle(active.slice());
    let epochLoss = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      t++;
      const rows = order.slice(s * poolBatch, (s + 1) * poolBatch);
      for (let m = 0; m < k; m++) {
        const layers = models[m] as Layer[];
        const inRows = rows.filter((i) => inMask[m * n + i]);
        const count = Math.max(1, inRows.length);
        const gw = layers.map((l) => new Float64Array(l.w.length));
        const gb = layers.map((l) => new Float64Array(l.b.length));
        for (const i of inRows) {
          // forward on standardised features
          const acts: Float64Array[] = [
            Float64Array.from(
              { length: d },
              (_, j) =>
                ((pool.features[i * d + j] as number) - (mean[m * d + j] as number)) * (invStd[m * d + j] as number),
            ),
          ];
          layers.forEach((l, li) => {
            const x = acts[li] as Float64Array;
            const z = Float64Array.from(l.b);
            for (let p = 0; p < l.inputs; p++)
              for (let q = 0; q < l.outputs; q++)
                z[q] = (z[q] as number) + (x[p] as number) * (l.w[p * l.outputs + q] as number);
            acts.push(li + 1 < layers.length ? z.map((v) => act(arch.activation, v)) : z);
          });
          const logits = acts[acts.length - 1] as Float64Array;
          const max = Math.max(...logits);
          const sumExp = logits.reduce((sum, v) => sum + Math.exp(v - max), 0);
          const label = pool.labels[i] as number;
          // the target distribution: one-hot on the label, or the pool's soft targets
          const c = logits.length;
          const y = (q: number) => (pool.targets ? (pool.targets[i * c + q] as number) : q === label ? 1 : 0);
          for (let q = 0; q < c; q++) epochLoss += (-y(q) * ((logits[q] as number) - max - Math.log(sumExp))) / count;
          // backward
          let delta = logits.map((v, q) => (Math.exp(v - max) / sumExp - y(q)) / count);
          for (let li = layers.length - 1; li >= 0; li--) {
            const l = layers[li] as Layer;
            const x = acts[li] as Float64Array;
            const gwl = gw[li] as Float64Array;
            const gbl = gb[li] as Float64Array;
            for (let q = 0; q < l.outputs; q++) gbl[q] = (gbl[q] as number) + (delta[q] as number);
            for (let p = 0; p < l.inputs; p++)
              for (let q = 0; q < l.outputs; q++)
                gwl[p * l.outputs + q] = (gwl[p * l.outputs + q] as number) + (x[p] as number) * (delta[q] as number);
            if (li > 0) {
              const next = new Float64Array(l.inputs);
              for (let p = 0; p < l.inputs; p++) {
                let sum = 0;
                for (let q = 0; q < l.outputs; q++) sum += (l.w[p * l.outputs + q] as number) * (delta[q] as number);
                next[p] = sum * slope(arch.activation, x[p] as number);
              }
              delta = next;
            }
          }
        }
        layers.forEach((l, li) => {
          const gwl = gw[li] as Float64Array;
          if (l2 > 0) {
            for (let p = 0; p < l.w.length; p++) {
              gwl[p] = (gwl[p] as number) + 2 * l2 * (l.w[p] as number);
              epochLoss += l2 * (l.w[p] as number) ** 2;
            }
          }
          const mom = moments[m]![li]!;
          update(l.w, gwl, mom.mw, mom.vw, t, opts);
          update(l.b, gb[li] as Float64Array, mom.mb, mom.vb, t, opts);
        });
      }
    }
    epochLosses.push(epochLoss / stepsPerEpoch / k);
  }
  const out = models.map((layers, m): MlpWeights => ({
    architecture: arch,
    layers: layers.map((l, li) => {
      if (li > 0)
        return { inputs: l.inputs, outputs: l.outputs, weights: Float32Array.from(l.w), bias: Float32Array.from(l.b) };
      const w = new Float32Array(l.w.length);
      const b = Float64Array.from(l.b);
      for (let p = 0; p < l.inputs; p++) {
        const s = invStd[m * d + p] as number;
        for (let q = 0; q < l.outputs; q++) {
          w[p * l.outputs + q] = (l.w[p * l.outputs + q] as number) * s;
          b[q] = (b[q] as number) - (l.w[p * l.outputs + q] as number) * (mean[m * d + p] as number) * s;
        }
      }
      return { inputs: l.inputs, outputs: l.outputs, weights: w, bias: Float32Array.from(b) };
    }),
  }));
  return { models: out, epochLosses };
}

function update(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  opts: { readonly learningRate: number; readonly optimizer?: 'adam' | 'sgd' },
): void {
  const lr = opts.learningRate;
  if (opts.optimizer === 'sgd') {
    for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) - lr * (g[i] as number);
    return;
  }
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-7];
  for (let i = 0; i < p.length; i++) {
    m[i] = beta1 * (m[i] as number) + (1 - beta1) * (g[i] as number);
    v[i] = beta2 * (v[i] as number) + (1 - beta2) * (g[i] as number) ** 2;
    const mHat = (m[i] as number) / (1 - beta1 ** t);
    const vHat = (v[i] as number) / (1 - beta2 ** t);
    p[i] = (p[i] as number) - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
  }
}
