// Copycat CNN: Correia-Silva, Berriel, Badue, de Souza, Oliveira-Santos, "Copycat CNN: Stealing Knowledge by
// Persuading Confession with Random Non-Labeled Data", IJCNN 2018. The attacker sees labels only: it asks the
// API to name the class of natural data of its own (here the population file, in random order) and trains a
// surrogate on those hard labels. Works against an API that returns nothing but the predicted class.

import { SeededRandom, deriveSeed } from '../random/seeded-random';
import { AnswerSet, gatherRows } from './answer-set';
import {
  type ExtractionAttack,
  type ExtractionAttackContext,
  type ExtractionRun,
  labelsOf,
  QueryMeter,
  requireQueryPool,
} from './extraction-attack';
import { trainAtCheckpoints } from './surrogate-checkpoints';

export class CopycatAttack implements ExtractionAttack {
  readonly id = 'extraction.copycat' as const;
  readonly access = 'labels' as const;
  readonly needsQueryPool = true;
  readonly reference =
    'Correia-Silva, Berriel, Badue, de Souza, Oliveira-Santos. Copycat CNN: Stealing Knowledge by Persuading Confession with Random Non-Labeled Data. IJCNN 2018.';

  async run(ctx: ExtractionAttackContext): Promise<ExtractionRun> {
    const pool = requireQueryPool(ctx, this.id, 'queries the target with natural data');
    const { nFeatures: d, numClasses: c } = ctx.target.signature;
    const meter = new QueryMeter(ctx.target, ctx.budget);
    const total = Math.min(ctx.budget, pool.nRows, meter.remaining());
    const order = new SeededRandom(deriveSeed(ctx.seed, 0xc0c)).permutation(pool.nRows);
    const answers = new AnswerSet(total, d, c);
    const checkpoints = await trainAtCheckpoints(ctx, answers, total, false, async (rung) => {
      const rows = order.slice(answers.nRows, rung);
      const features = gatherRows(pool.features, d, rows);
      const out = await meter.ask(features, rows.length);
      // hard labels only: whatever the API returns, the attacker keeps the named class
      const labels = labelsOf(out.probabilities, rows.length, c);
      const onehot = new Float32Array(rows.length * c);
      labels.forEach((y, r) => (onehot[r * c + y] = 1));
      answers.add(features, onehot, rows.length);
    });
    const exhausted = total < ctx.budget && total === pool.nRows;
    return {
      checkpoints,
      queriesUsed: meter.used,
      note:
        'hard labels for natural queries from the population file' +
        (exhausted ? `; the pool ran out after ${total} queries, below the budget of ${ctx.budget}` : ''),
    };
  }
}
