// Output policies: what a prediction API lets its callers see, applied to a target as a TargetModel wrapper,
// so an audit can be re-run "as if" the deployed API answered less (the brief's output-policy what-if).
//
// - `labels`: only the predicted class (argmax). Choquette-Choo, Tramèr, Carlini, Papernot, "Label-Only
//   Membership Inference Attacks", ICML 2021, show that hiding scores is not a defence: a member's label is
//   more robust to input noise, so membership.label-only still separates members from non-members. Score
//   attacks (LOSS, LiRA, RMIA, shadow) cannot run at all and are refused.
// - `top-k:<k>`: only the k largest probabilities, the others zeroed, left unnormalised as an API returns
//   them; `round:<d>`: probabilities rounded to d decimals. Both are the cheap defences commonly proposed
//   (Shokri, Stronati, Song, Shmatikov, S&P 2017, "mitigation strategies"; Tramèr et al., USENIX Security
//   2016, for rounding against extraction).
//   They coarsen the confidence LOSS/LiRA/RMIA read (a well-fit member's p_y rounds to exactly 1, as does a
//   confident non-member's), so those attacks degrade, while label-only is untouched by construction: the
//   argmax survives top-k and survives rounding except for ties.
// Every policy hides logits: an API applying it would never return them, and the attacks prefer logits.

import { EngineError, EngineErrorCode } from '../errors';
import type { ModelSignature, TargetModel, TargetOutputs } from '../types';

export type OutputPolicy =
  | { readonly kind: 'labels' }
  | { readonly kind: 'top-k'; readonly k: number }
  | { readonly kind: 'round'; readonly decimals: number };

/** float32 carries about 7 significant decimal digits: rounding to more changes nothing. */
export const MAX_ROUND_DECIMALS = 7;

const POLICY_SYNTAX = "expected 'labels', 'top-k:<k>' or 'round:<decimals>'";

/** Parses `labels`, `top-k:<k>` (k >= 1) or `round:<d>` (1 <= d <= 7). Throws EngineError InvalidOption. */
export function parseOutputPolicy(text: string): OutputPolicy {
  const invalid = (why: string) => new EngineError(EngineErrorCode.InvalidOption, `output policy '${text}': ${why}`);
  const trimmed = text.trim();
  if (trimmed === 'labels') return { kind: 'labels' };
  const match = /^(top-k|round):(.*)$/.exec(trimmed);
  if (!match) throw invalid(POLICY_SYNTAX);
  const [, kind, value] = match as unknown as [string, 'top-k' | 'round', string];
  if (!/^\d+$/.test(value)) throw invalid(`${kind} needs a whole number after the colon`);
  const n = Number(value);
  if (kind === 'top-k') {
    if (!Number.isSafeInteger(n) || n < 1) throw invalid('k must be at least 1');
    return { kind, k: n };
  }
  if (n < 1 || n > MAX_ROUND_DECIMALS) {
    throw invalid(`decimals must be from 1 to ${MAX_ROUND_DECIMALS} (float32 probabilities hold about 7 digits)`);
  }
  return { kind, decimals: n };
}

/** The canonical string of a policy, as recorded in reports (config.outputPolicy). */
export function formatOutputPolicy(policy: OutputPolicy): string {
  switch (policy.kind) {
    case 'labels':
      return 'labels';
    case 'top-k':
      return `top-k:${policy.k}`;
    case 'round':
      return `round:${policy.decimals}`;
  }
}

/** Refuses a policy that cannot change anything for this model (top-k keeping every class). */
export function assertPolicyFitsModel(policy: OutputPolicy, numClasses: number): void {
  if (policy.kind === 'top-k' && policy.k >= numClasses) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `output policy 'top-k:${policy.k}' keeps every class of a ${numClasses}-class model; choose k below ${numClasses}`,
    );
  }
}

/** Whether a target under this policy (or the target itself) answers with labels only. */
export function answersLabelsOnly(signature: ModelSignature, policy: OutputPolicy | undefined): boolean {
  return signature.outputKind === 'labels' || policy?.kind === 'labels';
}

/** The outputs an API applying `policy` would return: row-major nRows * numClasses probabilities, no logits. */
export function applyOutputPolicy(
  policy: OutputPolicy,
  outputs: TargetOutputs,
  nRows: number,
  numClasses: number,
): TargetOutputs {
  const p = outputs.probabilities;
  if (p.length !== nRows * numClasses) {
    throw new EngineError(
      EngineErrorCode.Internal,
      `output policy: ${p.length} probabilities do not form ${nRows} rows of ${numClasses} classes`,
    );
  }
  const out = new Float32Array(p.length);
  switch (policy.kind) {
    case 'labels':
      for (let r = 0; r < nRows; r++) out[r * numClasses + argmaxRow(p, r * numClasses, numClasses)] = 1;
      break;
    case 'top-k':
      for (let r = 0; r < nRows; r++) keepTopK(p, out, r * numClasses, numClasses, policy.k);
      break;
    case 'round': {
      const scale = 10 ** policy.decimals;
      for (let i = 0; i < p.length; i++) out[i] = Math.round((p[i] as number) * scale) / scale;
      break;
    }
  }
  return { probabilities: out };
}

/** First index of the row's largest value (the class an API would name; ties go to the lower index). */
function argmaxRow(values: Float32Array, base: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if ((values[base + j] as number) > (values[base + best] as number)) best = j;
  return best;
}

function keepTopK(from: Float32Array, into: Float32Array, base: number, length: number, k: number): void {
  // Stable order: on ties the lower class index is kept, so the answer is deterministic.
  const order = Array.from({ length }, (_, j) => j).sort(
    (a, b) => (from[base + b] as number) - (from[base + a] as number) || a - b,
  );
  for (const j of order.slice(0, k)) into[base + j] = from[base + j] as number;
}

/** The target as seen through an API that applies `policy` to every answer. */
export class OutputPolicyTarget implements TargetModel {
  readonly signature: ModelSignature;

  constructor(
    private readonly inner: TargetModel,
    readonly policy: OutputPolicy,
  ) {
    assertPolicyFitsModel(policy, inner.signature.numClasses);
    const { inputName, nFeatures, numClasses, outputName, opset, producer } = inner.signature;
    // No logitsTensorName: the logits are what the policy hides.
    this.signature = {
      inputName,
      nFeatures,
      numClasses,
      outputName,
      outputKind: answersLabelsOnly(inner.signature, policy) ? 'labels' : 'probabilities',
      opset,
      ...(producer !== undefined ? { producer } : {}),
    };
  }

  async predict(features: Float32Array, nRows: number): Promise<TargetOutputs> {
    const outputs = await this.inner.predict(features, nRows);
    return applyOutputPolicy(this.policy, outputs, nRows, this.signature.numClasses);
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

/** Wraps `target` when a policy is given; the target itself otherwise. */
export function withOutputPolicy(target: TargetModel, policy: OutputPolicy | undefined): TargetModel {
  return policy ? new OutputPolicyTarget(target, policy) : target;
}
