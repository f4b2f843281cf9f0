// Jacobian-based dataset augmentation: Papernot, McDaniel, Goodfellow, Jha, Celik, Swami, "Practical Black-Box
// Attacks against Machine Learning", AsiaCCS 2017 (Algorithm 1). An attacker with little data starts from a
// small seed set, asks the target to label it, trains a surrogate, then grows the set with synthetic points
// x + lambda * sign(d F_O(x) / dx), where F is the surrogate and O(x) the target's label: steps towards the
// target's decision boundaries, where labels teach most. lambda is 0.1 of each feature's range (the paper's
// 0.1 on inputs in [0, 1]) and flips sign every TAU rounds (the paper's periodic step size, section 5); new
// points are clipped to the data's range. When a round would exceed the budget, a random subset of the new
// points is asked (the paper's reservoir sampling keeps the set from doubling past what the attacker affords).

import { SeededRandom, deriveSeed } from '../random/seeded-random';
import type { MlpWeights } from '../training/mlp';
import { AnswerSet, gatherRows } from './answer-set';
import {
  answersToTargets,
  type ExtractionAttack,
  type ExtractionAttackContext,
  type ExtractionRun,
  labelsOf,
  QueryMeter,
  type SurrogateCheckpoint,
  requireQueryPool,
} from './extraction-attack';
import { logitInputGradient } from './surrogate';
import { trainCheckpoint } from './surrogate-checkpoints';

/** Step as a fraction of each feature's range. */
export const JACOBIAN_LAMBDA = 0.1;
/** Rounds between sign flips of the step. */
const TAU = 3;
/** Seed rows at most (Papernot et al. start from 150 MNIST images). */
export const JACOBIAN_SEED_ROWS = 150;

export class JacobianAttack implements ExtractionAttack {
  readonly id = 'extraction.jacobian' as const;
  readonly access = 'labels' as const;
  readonly needsQueryPool = true;
  readonly reference =
    'Papernot, McDaniel, Goodfellow, Jha, Celik, Swami. Practical Black-Box Attacks against Machine Learning. AsiaCCS 2017.';

  async run(ctx: ExtractionAttackContext): Promise<ExtractionRun> {
    const pool = requireQueryPool(ctx, this.id, 'grows a small seed set of natural data');
    const { nFeatures: d, numClasses: c } = ctx.target.signature;
    const meter = new QueryMeter(ctx.target, ctx.budget);
    const budget = Math.min(ctx.budget, meter.remaining());
    const rng = new SeededRandom(deriveSeed(ctx.seed, 0x1ac));
    const seedRows = rng
      .permutation(pool.nRows)
      .slice(0, Math.min(JACOBIAN_SEED_ROWS, pool.nRows, Math.max(1, Math.floor(budget / 8))));
    const answers = new AnswerSet(budget, d, c);
    const soft = ctx.target.signature.outputKind !== 'labels';
    const ask = async (features: Float32Array, n: number) => {
      const out = await meter.ask(features, n);
      answers.add(features, answersToTargets(out.probabilities, n, c), n);
    };
    await ask(gatherRows(pool.features, d, seedRows), seedRows.length);
    const checkpoints: SurrogateCheckpoint[] = [];
    const lambda = Float64Array.from(
      ctx.featureRange.max,
      (hi, j) => JACOBIAN_LAMBDA * (hi - ctx.featureRange.min[j]!),
    );
    for (let round = 0; ; round++) {
      const surrogate: MlpWeights = await trainCheckpoint(ctx, answers, soft, round, checkpoints);
      ctx.onProgress?.(answers.nRows / budget, `round ${round}: ${answers.nRows} queries`);
      const left = Math.min(budget - answers.nRows, meter.remaining());
      if (left <= 0) break;
      const sign = Math.floor(round / TAU) % 2 === 0 ? 1 : -1;
      const labels = labelsOf(answers.targets, answers.nRows, c);
      const chosen = rng.permutation(answers.nRows).slice(0, Math.min(left, answers.nRows));
      const synthetic = new Float32Array(chosen.length * d);
      chosen.forEach((r, i) => {
        const x = answers.row(r);
        const grad = logitInputGradient(surrogate, x, labels[r]!);
        for (let j = 0; j < d; j++) {
          const step = sign * lambda[j]! * Math.sign(grad[j]!);
          const v = x[j]! + step;
          synthetic[i * d + j] = Math.min(ctx.featureRange.max[j]!, Math.max(ctx.featureRange.min[j]!, v));
        }
      });
      await ask(synthetic, chosen.length);
    }
    return {
      checkpoints,
      queriesUsed: meter.used,
      note: `seed set of ${seedRows.length} natural rows grown by Jacobian-based augmentation over ${checkpoints.length - 1} rounds`,
    };
  }
}
