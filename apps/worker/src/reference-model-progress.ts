/**
 * Share of an audit's progress bar that its reference-model jobs fill (stored/total of it); the attacks
 * after them fill the rest. Training dominates an audit that needs reference models.
 */
export const REFERENCE_MODELS_PROGRESS_SHARE = 0.6;

export function referenceModelsPhase(stored: number, total: number): string {
  return `reference-models ${stored}/${total}`;
}
