// MI-Face model inversion: Fredrikson, Jha, Ristenpart, "Model Inversion Attacks that Exploit Confidence
// Information and Basic Countermeasures", ACM CCS 2015. For each class, search for the input the model is most
// confident belongs to it: gradient ascent on log p_class(x) with the paper's priors: every input clipped to the
// range the population data shows, a total-variation penalty for image-shaped inputs (neighbouring pixels alike),
// and start points from population data. Several reconstructions per class (restarts): the first starts from the
// population mean, the others from means of a few population records drawn at random; the same start points for
// every class, chosen without looking at labels, so nothing class-specific is given.
// White-box when the target's ONNX graph can be rebuilt (onnx-graph-gradient.ts: MLPs and CNNs of Gemm, MatMul,
// Add, Relu, Sigmoid, Tanh, Softmax, Conv, MaxPool, Flatten, Reshape ...; exact gradients); otherwise black-box,
// with the reason in the finding: NES gradient estimates (Ilyas et al., ICML 2018: antithetic Gaussian pairs) from
// the target's answers, within the query budget, each row sent counted as one query.
// Measured over all reconstructions: recognisability (an independent classifier, trained on population data with
// the engine's trainer, assigns the reconstruction to its intended class) and whether reconstructions sit closer
// to the class's training members than to equally many non-members (leakage). The restarts of one class are not
// independent: the intervals are clustered by class (clustered-proportion.ts) and the sign test takes one unit per
// class (its mean distances over the restarts).

import { EngineError, EngineErrorCode } from '../errors';
import { deriveSeed, SeededRandom } from '../random/seeded-random';
import { severityOfScore } from '../risk/severity';
import { mlpForward } from '../training/mlp-forward';
import { trainMlp } from '../training/mlp-trainer';
import type {
  ClassReconstruction,
  InversionFinding,
  LabeledDataset,
  ModelInversionMetrics,
  ReconstructionImage,
} from '../types';
import { clusteredProportion } from './clustered-proportion';
import type { InversionAttack, InversionAttackContext } from './inversion-attack';
import {
  CLOSER_TO_MEMBERS_ANCHORS,
  interpolateExposure,
  inversionBoundConfidence,
  RECOGNISABILITY_ANCHORS,
} from './inversion-severity';
import { type RebuiltGraph, rebuildOnnxGraph } from './onnx-graph-gradient';
import { imageSide, writeClassReconstructions } from './reconstruction-files';

export const MIFACE_SETTINGS = {
  /** Gradient-ascent steps per class (white-box), and the most the black-box search takes. */
  iterations: 300,
  /** Adam step in the [0, 1]-scaled input space. */
  learningRate: 0.05,
  /** Weight of the total-variation prior on image-shaped inputs (scaled inputs). */
  totalVariation: 0.02,
  /** NES: antithetic pairs per step and the perturbation's standard deviation (scaled inputs). */
  nesPairs: 16,
  nesSigma: 0.05,
  /** The black-box search needs at least this many steps per class to be worth running. */
  minBlackBoxIterations: 10,
  /** Nearest records averaged for the member / non-member distances. */
  nearest: 3,
  /** Reconstructions per class (--inversion-restarts), and the most accepted. */
  restarts: 3,
  maxRestarts: 50,
} as const;

/** The independent classifier that judges recognisability: one hidden layer, trained on population data. */
const JUDGE_TRAINING = { epochs: 80, batchSize: 32, learningRate: 0.01, l2: 1e-4 } as const;

interface Scaling {
  readonly lower: Float64Array;
  readonly span: Float64Array;
}

export class MiFaceAttack implements InversionAttack {
  readonly id = 'inversion.miface' as const;
  readonly access = 'scores' as const;
  readonly needsPopulation = true;
  readonly reference =
    'Fredrikson, Jha, Ristenpart, "Model Inversion Attacks that Exploit Confidence Information and Basic Countermeasures", ACM CCS 2015; NES gradient estimates: Ilyas et al., "Black-box Adversarial Attacks with Limited Queries and Information", ICML 2018';

  /**
   * `gradients: 'black-box'` forces the zeroth-order search even when the graph could be rebuilt; `restarts`:
   * reconstructions per class (default MIFACE_SETTINGS.restarts; the context's restarts win when given).
   */
  constructor(
    private readonly options: { readonly gradients?: 'auto' | 'black-box'; readonly restarts?: number } = {},
  ) {}

  async run(ctx: InversionAttackContext): Promise<InversionFinding> {
    const population = ctx.population;
    if (!population) {
      throw new EngineError(
        EngineErrorCode.AttackNeedsPopulation,
        `${this.id} takes its start points, input ranges and independent judge from population data; provide a population CSV`,
      );
    }
    const restarts = ctx.restarts ?? this.options.restarts ?? MIFACE_SETTINGS.restarts;
    if (!Number.isInteger(restarts) || restarts < 1 || restarts > MIFACE_SETTINGS.maxRestarts) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `${this.id}: restarts must be a whole number from 1 to ${MIFACE_SETTINGS.maxRestarts} (got ${restarts})`,
      );
    }
    const { nFeatures, numClasses } = ctx.target.signature;
    const scaling = scalingOf(population);
    const side = imageSide(nFeatures);
    const { graph, note } = this.whiteBoxGraph(ctx);
    const starts = startPoints(population, scaling, numClasses, restarts, deriveSeed(ctx.seed, 904));
    const queriesBefore = ctx.budget.queriesUsed;

    ctx.onProgress?.(0, graph ? 'reconstructing each class (white-box gradients)' : 'reconstructing each class (NES)');
    // reconstructions[c][r]: class c from start point r.
    const reconstructions = graph
      ? this.whiteBox(graph, starts, scaling, side, numClasses, ctx)
      : await this.blackBox(ctx, starts, scaling, side, numClasses);
    const nRows = numClasses * restarts;
    const rows = new Float32Array(nRows * nFeatures);
    reconstructions.forEach((perStart, c) =>
      perStart.forEach((u, r) => rows.set(toInputs(u, scaling), (c * restarts + r) * nFeatures)),
    );
    const answers = await ctx.budget.predict(rows, nRows, `${this.id} checking its reconstructions`);

    ctx.onProgress?.(0.8, 'training the independent judge on population data');
    const judge = await trainMlp(
      population,
      { nFeatures, hidden: [32], numClasses, activation: 'relu' },
      { ...JUDGE_TRAINING, seed: deriveSeed(ctx.seed, 901), standardize: true },
    );
    const judged = mlpForward(judge, rows, nRows).probabilities;

    const rng = new SeededRandom(deriveSeed(ctx.seed, 902));
    const className = (c: number) => ctx.classes?.[c] ?? String(c);
    const pixelRange = imageRange(scaling);
    const perClass: ClassReconstruction[] = [];
    for (let c = 0; c < numClasses; c++) {
      const inputs = (reconstructions[c] as Float64Array[]).map((u) => Float64Array.from(toInputs(u, scaling)));
      const files =
        ctx.outDir !== undefined
          ? await writeClassReconstructions(
              ctx.outDir,
              population.featureNames,
              { classIndex: c, className: className(c), restarts: inputs },
              pixelRange,
              ctx.preprocessing,
            )
          : undefined;
      for (let r = 0; r < restarts; r++) {
        const row = c * restarts + r;
        const u = (reconstructions[c] as Float64Array[])[r] as Float64Array;
        const { memberDistance, nonMemberDistance } = nearestDistances(u, c, ctx.members, ctx.nonMembers, scaling, rng);
        const image = side !== undefined ? imageOf(inputs[r] as Float64Array, side, pixelRange) : undefined;
        perClass.push({
          classIndex: c,
          className: className(c),
          restart: r,
          confidence: answers.probabilities[row * numClasses + c] as number,
          recognised: argmax(judged.subarray(row * numClasses, (row + 1) * numClasses)) === c,
          memberDistance,
          nonMemberDistance,
          ...(files ? { files: files[r] as string[] } : {}),
          ...(image ? { image } : {}),
        });
      }
    }
    const metrics = measure(
      perClass,
      numClasses,
      restarts,
      graph ? 'white-box' : 'black-box',
      note,
      ctx.budget.queriesUsed - queriesBefore,
    );
    const { score, rationale } = exposureOf(perClass, metrics, ctx.attacksCompared);
    const severity = severityOfScore(score);
    ctx.onProgress?.(1);
    return {
      kind: 'inversion',
      attack: this.id,
      severity,
      reference: this.reference,
      summary: summarise(metrics, severity),
      metrics,
      exposure: { score, rationale },
    };
  }

  /** The rebuilt graph when white-box gradients are possible, and in every case a note saying why or why not. */
  private whiteBoxGraph(ctx: InversionAttackContext): { graph?: RebuiltGraph; note: string } {
    if (this.options.gradients === 'black-box') return { note: 'black-box gradient estimates were requested' };
    if (!ctx.modelBytes) return { note: 'the target is not a local ONNX graph: black-box gradient estimates (NES)' };
    const sig = ctx.target.signature;
    const rebuilt = rebuildOnnxGraph(ctx.modelBytes, sig.nFeatures, sig.numClasses);
    if ('unsupported' in rebuilt) {
      return {
        note: `the ONNX graph could not be rebuilt for exact gradients (${rebuilt.unsupported}): black-box gradient estimates (NES) were used instead`,
      };
    }
    return {
      graph: rebuilt.graph,
      note: `exact gradients through the rebuilt ONNX graph (${[...rebuilt.graph.ops].sort().join(', ')})`,
    };
  }

  private whiteBox(
    graph: RebuiltGraph,
    starts: readonly Float64Array[][],
    scaling: Scaling,
    side: number | undefined,
    numClasses: number,
    ctx: InversionAttackContext,
  ): Float64Array[][] {
    return Array.from({ length: numClasses }, (_, c) => {
      const out = (starts[c] as Float64Array[]).map((start) => {
        const ascent = new AdamAscent(start);
        for (let t = 0; t < MIFACE_SETTINGS.iterations; t++) {
          const { logProb, gradient } = graph.classLogProbability(toInputs(ascent.u, scaling), c);
          const grad = gradient.map((g, i) => g * (scaling.span[i] as number));
          ascent.step(logProb, addTotalVariation(ascent.u, grad, side));
        }
        return ascent.best;
      });
      ctx.onProgress?.((0.8 * (c + 1)) / numClasses);
      return out;
    });
  }

  private async blackBox(
    ctx: InversionAttackContext,
    starts: readonly Float64Array[][],
    scaling: Scaling,
    side: number | undefined,
    numClasses: number,
  ): Promise<Float64Array[][]> {
    const { nesPairs, nesSigma } = MIFACE_SETTINGS;
    const restarts = (starts[0] as Float64Array[]).length;
    const nFeatures = (starts[0]?.[0] as Float64Array).length;
    const searches = numClasses * restarts;
    // One query per reconstruction is kept for checking the reconstructions at the end.
    const rowsPerSearch = 2 * nesPairs + 1;
    const perStep = searches * rowsPerSearch;
    const iterations = Math.min(MIFACE_SETTINGS.iterations, Math.floor((ctx.budget.remaining() - searches) / perStep));
    if (iterations < MIFACE_SETTINGS.minBlackBoxIterations) {
      throw new EngineError(
        EngineErrorCode.BudgetExceeded,
        `${this.id} (black-box) needs at least ${MIFACE_SETTINGS.minBlackBoxIterations * perStep + searches} queries for ${numClasses} classes x ${restarts} restarts (${perStep} per step); ${ctx.budget.remaining()} remain in the query budget`,
      );
    }
    const rng = new SeededRandom(deriveSeed(ctx.seed, 903));
    // Search s reconstructs class floor(s / restarts) from start point s % restarts.
    const ascents = Array.from(
      { length: searches },
      (_, s) => new AdamAscent((starts[Math.floor(s / restarts)] as Float64Array[])[s % restarts] as Float64Array),
    );
    for (let t = 0; t < iterations; t++) {
      const batch = new Float32Array(perStep * nFeatures);
      const noise: Float64Array[] = [];
      ascents.forEach((ascent, s) => {
        const base = s * rowsPerSearch;
        batch.set(toInputs(ascent.u, scaling), base * nFeatures);
        for (let p = 0; p < nesPairs; p++) {
          const eps = Float64Array.from({ length: nFeatures }, () => rng.normal());
          noise.push(eps);
          const plus = ascent.u.map((v, i) => v + nesSigma * (eps[i] as number));
          const minus = ascent.u.map((v, i) => v - nesSigma * (eps[i] as number));
          batch.set(toInputs(plus, scaling), (base + 1 + 2 * p) * nFeatures);
          batch.set(toInputs(minus, scaling), (base + 2 + 2 * p) * nFeatures);
        }
      });
      const answers = await ctx.budget.predict(batch, perStep, `${this.id} (black-box search)`);
      const logProb = (row: number, c: number) =>
        Math.log(Math.max(answers.probabilities[row * numClasses + c] as number, 1e-12));
      ascents.forEach((ascent, s) => {
        const c = Math.floor(s / restarts);
        const base = s * rowsPerSearch;
        const grad = new Float64Array(nFeatures);
        for (let p = 0; p < nesPairs; p++) {
          const diff = logProb(base + 1 + 2 * p, c) - logProb(base + 2 + 2 * p, c);
          const eps = noise[s * nesPairs + p] as Float64Array;
          for (let i = 0; i < nFeatures; i++)
            grad[i] = (grad[i] as number) + (diff * (eps[i] as number)) / (2 * nesSigma * nesPairs);
        }
        ascent.step(logProb(base, c), addTotalVariation(ascent.u, grad, side));
      });
      ctx.onProgress?.((0.8 * (t + 1)) / iterations);
    }
    return Array.from({ length: numClasses }, (_, c) =>
      ascents.slice(c * restarts, (c + 1) * restarts).map((a) => a.best),
    );
  }
}

/** Adam (Kingma & Ba 2015) ascent in the [0, 1]-scaled input space, clipped to the box after every step. */
class AdamAscent {
  readonly u: Float64Array;
  best: Float64Array;
  private bestValue = Number.NEGATIVE_INFINITY;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(start: Float64Array) {
    this.u = Float64Array.from(start);
    this.best = Float64Array.from(start);
    this.m = new Float64Array(start.length);
    this.v = new Float64Array(start.length);
  }

  /** `value`: the objective at the current point (for keeping the best); `grad`: its gradient there. */
  step(value: number, grad: Float64Array): void {
    if (value > this.bestValue) {
      this.bestValue = value;
      this.best = Float64Array.from(this.u);
    }
    const b1 = 0.9;
    const b2 = 0.999;
    this.t++;
    for (let i = 0; i < this.u.length; i++) {
      const g = grad[i] as number;
      this.m[i] = b1 * (this.m[i] as number) + (1 - b1) * g;
      this.v[i] = b2 * (this.v[i] as number) + (1 - b2) * g * g;
      const mHat = (this.m[i] as number) / (1 - b1 ** this.t);
      const vHat = (this.v[i] as number) / (1 - b2 ** this.t);
      const next = (this.u[i] as number) + (MIFACE_SETTINGS.learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
      this.u[i] = Math.min(1, Math.max(0, next));
    }
  }
}

/** Adds the gradient of -lambda x TV(u) (squared differences of neighbouring pixels) for image-shaped inputs. */
function addTotalVariation(u: Float64Array, grad: Float64Array, side: number | undefined): Float64Array {
  if (side === undefined) return grad;
  const lambda = MIFACE_SETTINGS.totalVariation;
  const out = Float64Array.from(grad);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = y * side + x;
      if (x + 1 < side) {
        const d = (u[i + 1] as number) - (u[i] as number);
        out[i] = (out[i] as number) + 2 * lambda * d;
        out[i + 1] = (out[i + 1] as number) - 2 * lambda * d;
      }
      if (y + 1 < side) {
        const d = (u[i + side] as number) - (u[i] as number);
        out[i] = (out[i] as number) + 2 * lambda * d;
        out[i + side] = (out[i + side] as number) - 2 * lambda * d;
      }
    }
  }
  return out;
}

/** Per-input range of the population: the box every reconstruction stays in. */
function scalingOf(population: LabeledDataset): Scaling {
  const n = population.nFeatures;
  const lower = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const upper = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  for (let r = 0; r < population.nRows; r++) {
    for (let i = 0; i < n; i++) {
      const v = population.features[r * n + i] as number;
      if (v < (lower[i] as number)) lower[i] = v;
      if (v > (upper[i] as number)) upper[i] = v;
    }
  }
  const span = lower.map((lo, i) => ((upper[i] as number) > lo ? (upper[i] as number) - lo : 1));
  return { lower, span };
}

/** Population records averaged into each start point after the first. */
const START_SUBSET = 5;

/**
 * Start points, the same for every class and chosen without looking at labels: the population mean first, then
 * means of START_SUBSET population records drawn with the seed (a different mix of the population each time, so
 * the restarts explore different optima, and none is a real record).
 */
function startPoints(
  population: LabeledDataset,
  scaling: Scaling,
  numClasses: number,
  restarts: number,
  seed: number,
): Float64Array[][] {
  const n = population.nFeatures;
  const meanOf = (rows: readonly number[]) => {
    const mean = new Float64Array(n);
    for (const r of rows) {
      for (let i = 0; i < n; i++) {
        const v =
          ((population.features[r * n + i] as number) - (scaling.lower[i] as number)) / (scaling.span[i] as number);
        mean[i] = (mean[i] as number) + v / rows.length;
      }
    }
    return mean;
  };
  const starts = [meanOf(Array.from({ length: population.nRows }, (_, r) => r))];
  const order = new SeededRandom(seed).permutation(population.nRows);
  for (let k = 0; starts.length < restarts; k++) {
    starts.push(
      meanOf(Array.from({ length: START_SUBSET }, (_, j) => order[(k * START_SUBSET + j) % order.length] as number)),
    );
  }
  return Array.from({ length: numClasses }, () => starts);
}

/** The reconstruction as grey pixels 0-255 over the data's pixel range (what the PNG shows, unscaled). */
function imageOf(inputs: Float64Array, side: number, range: { lower: number; upper: number }): ReconstructionImage {
  const span = range.upper > range.lower ? range.upper - range.lower : 1;
  return {
    width: side,
    height: side,
    channels: 1,
    pixels: Array.from(inputs, (v) => Math.round(255 * Math.min(1, Math.max(0, (v - range.lower) / span)))),
  };
}

function toInputs(u: Float64Array, scaling: Scaling): Float32Array {
  return Float32Array.from(u, (v, i) => (scaling.lower[i] as number) + v * (scaling.span[i] as number));
}

/** The pixel range of an image: the smallest lower and largest upper bound over all inputs. */
function imageRange(scaling: Scaling): { lower: number; upper: number } {
  let lower = Number.POSITIVE_INFINITY;
  let upper = Number.NEGATIVE_INFINITY;
  scaling.lower.forEach((lo, i) => {
    lower = Math.min(lower, lo);
    upper = Math.max(upper, lo + (scaling.span[i] as number));
  });
  return { lower, upper };
}

/**
 * Mean scaled distance to the class's `nearest` closest members and non-members, from equally many of each (the
 * larger side subsampled with the seed): nearest-neighbour distances shrink as a pool grows.
 */
function nearestDistances(
  u: Float64Array,
  c: number,
  members: LabeledDataset,
  nonMembers: LabeledDataset,
  scaling: Scaling,
  rng: SeededRandom,
): { memberDistance: number; nonMemberDistance: number } {
  const distances = (ds: LabeledDataset) => {
    const out: number[] = [];
    for (let r = 0; r < ds.nRows; r++) {
      if (ds.labels[r] !== c) continue;
      let s = 0;
      for (let i = 0; i < ds.nFeatures; i++) {
        const v =
          ((ds.features[r * ds.nFeatures + i] as number) - (scaling.lower[i] as number)) / (scaling.span[i] as number);
        s += (v - (u[i] as number)) ** 2;
      }
      out.push(Math.sqrt(s));
    }
    return out;
  };
  const m = distances(members);
  const nm = distances(nonMembers);
  const size = Math.min(m.length, nm.length);
  const nearestMean = (all: number[]) => {
    if (size === 0) return Number.NaN;
    const kept = rng
      .shuffle([...all])
      .slice(0, size)
      .sort((a, b) => a - b);
    const k = Math.min(MIFACE_SETTINGS.nearest, kept.length);
    return kept.slice(0, k).reduce((s, d) => s + d, 0) / k;
  };
  return { memberDistance: nearestMean(m), nonMemberDistance: nearestMean(nm) };
}

function measure(
  all: readonly ClassReconstruction[],
  classes: number,
  restarts: number,
  gradients: 'white-box' | 'black-box',
  gradientsNote: string,
  queriesUsed: number,
): ModelInversionMetrics {
  const byClass = groupByClass(all, classes);
  const recognised = clusteredProportion(byClass.map((rs) => rs.map((r) => r.recognised)));
  const comparable = byClass.filter((rs) => rs.every(isComparable));
  const closer = clusteredProportion(comparable.map((rs) => rs.map((r) => r.memberDistance < r.nonMemberDistance)));
  const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);
  const classesCloser = comparable.filter(
    (rs) => mean(rs.map((r) => r.memberDistance)) < mean(rs.map((r) => r.nonMemberDistance)),
  ).length;
  const flat = comparable.flat();
  return {
    type: 'model-inversion',
    gradients,
    gradientsNote,
    classes,
    restarts,
    recognisability: recognised.proportion,
    recognisabilityInterval: recognised.interval,
    recognisabilityDesignEffect: recognised.designEffect,
    chance: 1 / classes,
    closerToMembers: closer.proportion,
    closerToMembersInterval: closer.interval,
    closerToMembersDesignEffect: closer.designEffect,
    closerToMembersPValue: binomialUpperTail(classesCloser, comparable.length),
    classesCloserToMembers: classesCloser,
    classesCompared: comparable.length,
    meanMemberDistance: mean(flat.map((r) => r.memberDistance)),
    meanNonMemberDistance: mean(flat.map((r) => r.nonMemberDistance)),
    queriesUsed,
    reconstructions: all,
  };
}

const isComparable = (r: ClassReconstruction) =>
  Number.isFinite(r.memberDistance) && Number.isFinite(r.nonMemberDistance);

function groupByClass(all: readonly ClassReconstruction[], classes: number): ClassReconstruction[][] {
  const out = Array.from({ length: classes }, (): ClassReconstruction[] => []);
  for (const r of all) out[r.classIndex]?.push(r);
  return out;
}

/** P(X >= k) for X ~ Binomial(n, 1/2): the one-sided sign test's p-value. */
export function binomialUpperTail(k: number, n: number): number {
  if (n === 0) return 1;
  let p = 0;
  let term = 0.5 ** n; // P(X = 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) p += term;
    term = (term * (n - i)) / (i + 1);
  }
  return Math.min(1, p);
}

function exposureOf(
  all: readonly ClassReconstruction[],
  m: ModelInversionMetrics,
  attacksCompared: number,
): { score: number; rationale: string } {
  const confidence = inversionBoundConfidence(2, attacksCompared);
  const byClass = groupByClass(all, m.classes);
  const recognisedLower = clusteredProportion(
    byClass.map((rs) => rs.map((r) => r.recognised)),
    2 * confidence - 1,
  ).interval.lower;
  const recognisedExcess = m.chance < 1 ? Math.max(0, (recognisedLower - m.chance) / (1 - m.chance)) : 0;
  const closerLower = clusteredProportion(
    byClass.filter((rs) => rs.every(isComparable)).map((rs) => rs.map((r) => r.memberDistance < r.nonMemberDistance)),
    2 * confidence - 1,
  ).interval.lower;
  const fromRecognition = interpolateExposure(recognisedExcess, RECOGNISABILITY_ANCHORS);
  const fromCloseness = interpolateExposure(closerLower - 0.5, CLOSER_TO_MEMBERS_ANCHORS);
  const conf = (100 * confidence).toFixed(1);
  if (fromCloseness >= fromRecognition && fromCloseness > 0) {
    return {
      score: fromCloseness,
      rationale: `reconstructions lie closer to training members than to non-members for at least ${(100 * closerLower).toFixed(0)}% of them (${conf}% lower bound, clustered by class)`,
    };
  }
  return {
    score: fromRecognition,
    rationale:
      fromRecognition > 0
        ? `an independent classifier recognises the reconstructed classes above chance (${conf}% lower bound ${(100 * recognisedLower).toFixed(0)}%, clustered by class; chance ${(100 * m.chance).toFixed(0)}%); they are not closer to training members than to non-members beyond chance`
        : `reconstructions are neither recognisable above chance nor closer to training members than to non-members (${conf}% bounds)`,
  };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

function summarise(m: ModelInversionMetrics, severity: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const restarts = m.restarts ?? 1;
  const made =
    restarts > 1
      ? `${restarts} inputs per class (${m.classes * restarts} in all; intervals clustered by class)`
      : 'one input per class';
  return (
    `MI-Face (${m.gradients}) reconstructed ${made}: an independent classifier recognises ` +
    `${pct(m.recognisability)} of them (95% CI ${pct(m.recognisabilityInterval.lower)}-${pct(m.recognisabilityInterval.upper)}; chance ${pct(m.chance)}); ` +
    `${pct(m.closerToMembers)} lie closer to training members than to non-members ` +
    `(${m.classesCloserToMembers ?? 0} of ${m.classesCompared ?? 0} classes on average; sign test over classes p = ${m.closerToMembersPValue.toFixed(3)}). ` +
    (m.gradients === 'black-box' && m.gradientsNote?.startsWith('the ONNX graph could not be rebuilt')
      ? `White-box was not possible: ${m.gradientsNote}. `
      : '') +
    `Severity ${severity}.`
  );
}
