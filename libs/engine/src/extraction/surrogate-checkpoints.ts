// The surrogate ladder the extraction attacks share: after each rung of queries, train a surrogate on every answer
// so far and keep it as a checkpoint of the fidelity-versus-queries curve. Copycat and Knockoff fill rungs of the
// query ladder; Jacobian augmentation trains once per augmentation round (trainCheckpoint alone).

import { deriveSeed } from '../random/seeded-random';
import type { MlpWeights } from '../training/mlp';
import type { AnswerSet } from './answer-set';
import type { ExtractionAttackContext, SurrogateCheckpoint } from './extraction-attack';
import { trainSurrogate } from './surrogate';

/** Trains a surrogate on every answer so far (seeded by `seedKey`) and records it as a checkpoint. */
export async function trainCheckpoint(
  ctx: ExtractionAttackContext,
  answers: AnswerSet,
  soft: boolean,
  seedKey: number,
  checkpoints: SurrogateCheckpoint[],
): Promise<MlpWeights> {
  const surrogate = await trainSurrogate(answers, ctx.architecture, {
    seed: deriveSeed(ctx.seed, seedKey),
    soft,
    ...(ctx.trainer ? { trainer: ctx.trainer } : {}),
    ...(ctx.surrogateSteps !== undefined ? { steps: ctx.surrogateSteps } : {}),
  });
  checkpoints.push({ queries: answers.nRows, surrogate });
  return surrogate;
}

/**
 * For each rung of the query ladder below `total`, then `total`: `fill` asks the target until `answers` holds `rung`
 * rows (it sees the previous rung's surrogate, which the adaptive Knockoff learns from), then a surrogate is trained
 * on them (seeded by the rung) and kept. Progress is reported per rung.
 */
export async function trainAtCheckpoints(
  ctx: ExtractionAttackContext,
  answers: AnswerSet,
  total: number,
  soft: boolean,
  fill: (rung: number, previous: MlpWeights | undefined) => Promise<void>,
): Promise<SurrogateCheckpoint[]> {
  const checkpoints: SurrogateCheckpoint[] = [];
  let surrogate: MlpWeights | undefined;
  for (const rung of [...ctx.ladder.filter((q) => q < total), total]) {
    await fill(rung, surrogate);
    surrogate = await trainCheckpoint(ctx, answers, soft, rung, checkpoints);
    ctx.onProgress?.(answers.nRows / total, `${answers.nRows} queries`);
  }
  return checkpoints;
}
