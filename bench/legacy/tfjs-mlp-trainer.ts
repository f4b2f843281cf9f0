// The old tfjs (wasm backend) MLP trainer, kept for benchmarks only (bench:training prints it beside the
// onnxruntime trainer that replaced it in the engine, issue 10; @tensorflow/* are devDependencies). Same
// options, initial weights, batches and MlpWeights layout as the engine's trainer
// (libs/engine/src/training/onnx-trainer/).
//
// The K models are trained at once in one tfjs graph. They share one pass over a record pool; each model
// only learns from the records its inMask marks IN (a per-model masked loss), so every model still sees
// its own random half of the data. The first layer of all K models is one wide [in, K*h] matmul (the
// wasm backend runs 2-D matmuls through XNNPACK but batched 3-D matmuls through a slow generic kernel,
// so sharing the input rows beats gathering K separate inputs); later layers are batched [K, h, out].
// Parameters of different models never mix, and Adam is elementwise, so each model's updates are those
// of its own fit.
import type * as TfTypes from '@tensorflow/tfjs';
import { SeededRandom, deriveSeed } from '../../libs/engine/src/random/seeded-random';
import type { DenseLayerWeights, MlpArchitecture, MlpWeights, TrainingData } from '../../libs/engine/src/training/mlp';
import { initTensorflow, type Tensorflow } from './tf-backend';
import {
  FIT_CHUNK_ROWS,
  SHUFFLE_SALT,
  glorotInit,
  meetsFit,
  planSubsetTraining,
  subsetStandardization,
  validateSubsetTraining,
  type InitLayer,
  type MlpSubsetTrainingOptions,
} from '../../libs/engine/src/training/mlp-training-setup';

/**
 * Train K MLPs at once on subsets of one pool: model m trains on the rows i with inMask[m * pool.nRows + i] = 1.
 * opts.batchSize is per model: a pool batch holds about batchSize IN rows for each model.
 */
export async function trainMlpOnSubsetsTfjs(
  pool: TrainingData,
  inMask: Uint8Array,
  arch: MlpArchitecture,
  opts: MlpSubsetTrainingOptions,
): Promise<MlpWeights[]> {
  const k = opts.seeds.length;
  const n = pool.nRows;
  const d = arch.nFeatures;
  const c = arch.numClasses;
  validateSubsetTraining(pool, inMask, arch, opts);
  const { tf } = await initTensorflow();

  const { active, inCount, poolBatch, stepsPerEpoch } = planSubsetTraining(pool, inMask, k, opts.batchSize);

  const { mean, invStd } = subsetStandardization(pool, inMask, k, opts.standardize ?? true);
  const widths = [d, ...arch.hidden, c];
  const init = opts.seeds.map((s) => glorotInit(widths, s));

  const owned: TfTypes.Tensor[] = [];
  const keep = <T extends TfTypes.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const variable = (initial: TfTypes.Tensor): TfTypes.Variable => {
    const v = keep(tf.variable(initial));
    initial.dispose();
    return v;
  };
  const optimizer = tf.train.adam(opts.learningRate);
  try {
    const x = keep(tf.tensor2d(pool.features.subarray(0, n * d), [n, d]));
    const y = keep(tf.tensor1d(pool.labels.subarray(0, n), 'int32'));
    // Soft labels (probability targets) when the pool has them; one-hot labels otherwise.
    const soft = pool.targets ? keep(tf.tensor2d(pool.targets.slice(0, n * c), [n, c])) : undefined;
    const targetsOf = (idx: TfTypes.Tensor1D): TfTypes.Tensor =>
      soft ? tf.gather(soft, idx) : tf.oneHot(tf.gather(y, idx), c);
    const maskKN = keep(tf.tensor2d(Float32Array.from(inMask.subarray(0, k * n)), [k, n]));
    // Standardisation is applied through the first layer (W_eff = W / std, b_eff = b - (mean / std) W),
    // so Adam works in standardised coordinates and the result already takes raw features.
    const h1 = widths[1] as number;
    const scale = keep(tf.tensor2d(expandPerModel(invStd, k, d, h1), [d, k * h1]));
    const shift = keep(tf.tensor2d(expandPerModel(mulArrays(mean, invStd), k, d, h1), [d, k * h1]));

    const w1 = variable(tf.tensor2d(firstLayerStack(init, 'weights', d, h1, k), [d, k * h1]));
    const b1 = variable(tf.tensor1d(firstLayerStack(init, 'bias', 1, h1, k)));
    const later: Array<{ w: TfTypes.Variable; b: TfTypes.Variable }> = [];
    for (let l = 1; l < widths.length - 1; l++) {
      const fanIn = widths[l] as number;
      const fanOut = widths[l + 1] as number;
      const w = variable(tf.tensor3d(concatLayer(init, l, 'weights'), [k, fanIn, fanOut]));
      const b = variable(tf.tensor3d(concatLayer(init, l, 'bias'), [k, 1, fanOut]));
      later.push({ w, b });
    }
    const kernels: TfTypes.Variable[] = [w1, ...later.map((p) => p.w)];
    const trainable: TfTypes.Variable[] = [w1, b1, ...later.flatMap((p) => [p.w, p.b])];
    const l2 = opts.l2 ?? 0;
    const activate = activation(tf, arch);

    const effectiveFirstLayer = () => {
      const w = tf.mul(w1, scale);
      const b = tf.sub(b1, tf.sum(tf.mul(w1, shift), 0));
      return { w, b };
    };
    const modelLoss = (idx: TfTypes.Tensor1D): TfTypes.Scalar => {
      const first = effectiveFirstLayer();
      const xb = tf.gather(x, idx);
      const bsz = idx.shape[0];
      let hidden: TfTypes.Tensor = tf.transpose(
        tf.reshape(tf.add(tf.matMul(xb, first.w), first.b), [bsz, k, h1]),
        [1, 0, 2],
      );
      for (const p of later) hidden = tf.add(tf.matMul(activate(hidden) as TfTypes.Tensor3D, p.w), p.b);
      const ce = tf.neg(tf.sum(tf.mul(targetsOf(idx), tf.logSoftmax(hidden)), -1)); // [k, bsz]
      const mask = tf.gather(maskKN, idx, 1);
      const perModel = tf.div(tf.sum(tf.mul(ce, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
      let loss = tf.sum(perModel);
      if (l2 > 0) for (const w of kernels) loss = tf.add(loss, tf.mul(l2, tf.sum(tf.square(w))));
      return loss as TfTypes.Scalar;
    };

    // Per model: mean cross-entropy and accuracy on its own IN rows, in chunks of pool rows (no gradients).
    const fitOnInRows = (): { loss: Float64Array; accuracy: Float64Array } => {
      const lossSum = new Float64Array(k);
      const correctSum = new Float64Array(k);
      for (let start = 0; start < active.length; start += FIT_CHUNK_ROWS) {
        const chunk = active.slice(start, start + FIT_CHUNK_ROWS);
        const [lossPart, correctPart] = tf.tidy(() => {
          const idx = tf.tensor1d(chunk, 'int32');
          const first = effectiveFirstLayer();
          const bsz = chunk.length;
          let hidden: TfTypes.Tensor = tf.transpose(
            tf.reshape(tf.add(tf.matMul(tf.gather(x, idx), first.w), first.b), [bsz, k, h1]),
            [1, 0, 2],
          );
          for (const p of later) hidden = tf.add(tf.matMul(activate(hidden) as TfTypes.Tensor3D, p.w), p.b);
          const labels = tf.gather(y, idx);
          const ce = tf.neg(tf.sum(tf.mul(targetsOf(idx), tf.logSoftmax(hidden)), -1)); // [k, bsz]
          const correct = tf.cast(tf.equal(tf.argMax(hidden, -1), labels), 'float32'); // [k, bsz]
          const mask = tf.gather(maskKN, idx, 1);
          return [tf.sum(tf.mul(ce, mask), 1), tf.sum(tf.mul(correct, mask), 1)];
        });
        const l = lossPart!.dataSync();
        const a = correctPart!.dataSync();
        lossPart!.dispose();
        correctPart!.dispose();
        for (let m = 0; m < k; m++) {
          lossSum[m] = (lossSum[m] as number) + (l[m] as number);
          correctSum[m] = (correctSum[m] as number) + (a[m] as number);
        }
      }
      const inRows = (m: number) => Math.max(1, inCount[m] as number);
      return {
        loss: lossSum.map((v, m) => v / inRows(m)),
        accuracy: correctSum.map((v, m) => v / inRows(m)),
      };
    };

    const extractModels = (): MlpWeights[] => {
      const first = tf.tidy(() => effectiveFirstLayer());
      const w1Values = first.w.dataSync() as Float32Array;
      const b1Values = first.b.dataSync() as Float32Array;
      first.w.dispose();
      first.b.dispose();
      const laterValues = later.map((p) => ({
        w: p.w.dataSync() as Float32Array,
        b: p.b.dataSync() as Float32Array,
      }));
      return opts.seeds.map((_, m) => {
        const layers: DenseLayerWeights[] = [
          {
            inputs: d,
            outputs: h1,
            weights: sliceColumns(w1Values, d, k * h1, m * h1, h1),
            bias: b1Values.slice(m * h1, (m + 1) * h1),
          },
        ];
        laterValues.forEach((v, i) => {
          const fanIn = widths[i + 1] as number;
          const fanOut = widths[i + 2] as number;
          layers.push({
            inputs: fanIn,
            outputs: fanOut,
            weights: v.w.slice(m * fanIn * fanOut, (m + 1) * fanIn * fanOut),
            bias: v.b.slice(m * fanOut, (m + 1) * fanOut),
          });
        });
        return { architecture: arch, layers };
      });
    };

    const stopAtFit = opts.stopAtFit;
    // Models that reached the fit keep the weights of the epoch they reached it (see MlpTrainingOptions.stopAtFit).
    const fitted: Array<MlpWeights | undefined> = Array.from({ length: k }, () => undefined);
    const shuffler = new SeededRandom(deriveSeed(opts.seeds[0] as number, SHUFFLE_SALT));
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('training aborted');
      const order = shuffler.shuffle(active.slice());
      let epochLoss: TfTypes.Scalar | undefined;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const idx = tf.tensor1d(order.slice(s * poolBatch, (s + 1) * poolBatch), 'int32');
        const cost = optimizer.minimize(() => modelLoss(idx), opts.onEpoch !== undefined, trainable);
        idx.dispose();
        if (cost) {
          const prev: TfTypes.Scalar | undefined = epochLoss;
          epochLoss = prev ? (tf.add(prev, cost) as TfTypes.Scalar) : cost;
          if (prev) {
            prev.dispose();
            cost.dispose();
          }
        }
      }
      if (opts.onEpoch && epochLoss) {
        const total = (await epochLoss.data())[0] as number;
        epochLoss.dispose();
        opts.onEpoch(epoch, total / stepsPerEpoch / k);
      }
      if (stopAtFit) {
        const fit = fitOnInRows();
        const reached: number[] = [];
        for (let m = 0; m < k; m++) {
          if (fitted[m] === undefined && meetsFit(fit.loss[m] as number, fit.accuracy[m] as number, stopAtFit))
            reached.push(m);
        }
        if (reached.length > 0) {
          const snapshot = extractModels();
          for (const m of reached) fitted[m] = snapshot[m];
        }
        if (fitted.every((w) => w !== undefined)) break;
      }
      // Training is synchronous inside tfjs: give queue heartbeats and progress bars a turn.
      await new Promise((resolve) => setImmediate(resolve));
    }

    const final = stopAtFit && fitted.every((w) => w !== undefined) ? [] : extractModels();
    return opts.seeds.map((_, m) => fitted[m] ?? (final[m] as MlpWeights));
  } finally {
    optimizer.dispose();
    for (const t of owned) t.dispose();
  }
}

function activation(tf: Tensorflow, arch: MlpArchitecture): (t: TfTypes.Tensor) => TfTypes.Tensor {
  switch (arch.activation) {
    case 'relu':
      return (t) => tf.relu(t);
    case 'tanh':
      return (t) => tf.tanh(t);
    case 'sigmoid':
      return (t) => tf.sigmoid(t);
  }
}

function mulArrays(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v * (b[i] as number));
}

/** A per-model, per-feature value spread over that model's h columns of the stacked first layer [d, k*h]. */
function expandPerModel(values: Float64Array, k: number, d: number, h: number): Float32Array {
  const out = new Float32Array(d * k * h);
  for (let i = 0; i < d; i++) {
    for (let m = 0; m < k; m++) out.fill(values[m * d + i] as number, i * k * h + m * h, i * k * h + (m + 1) * h);
  }
  return out;
}

/** Stack the K first layers side by side: [d, k*h], model m in columns m*h .. (m+1)*h. */
function firstLayerStack(
  init: InitLayer[][],
  part: 'weights' | 'bias',
  rows: number,
  h: number,
  k: number,
): Float32Array {
  const out = new Float32Array(rows * k * h);
  init.forEach((layers, m) => {
    const src = (layers[0] as InitLayer)[part];
    for (let i = 0; i < rows; i++) out.set(src.subarray(i * h, (i + 1) * h), i * k * h + m * h);
  });
  return out;
}

function concatLayer(init: InitLayer[][], l: number, part: 'weights' | 'bias'): Float32Array {
  const parts = init.map((layers) => (layers[l] as InitLayer)[part]);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function sliceColumns(values: Float32Array, rows: number, cols: number, start: number, width: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) out.set(values.subarray(i * cols + start, i * cols + start + width), i * width);
  return out;
}
