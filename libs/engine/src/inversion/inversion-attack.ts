// What an inversion attack (attribute inference, MI-Face) receives and returns. Each goes through the engine's
// TargetModel only, so a local ONNX file and a remote endpoint are attacked alike, and counts its queries.

import type { PreprocessingSpec } from '../preprocessing/preprocessing-spec';
import type { InversionAttackId, InversionFinding, LabeledDataset, TargetAccess, TargetModel } from '../types';
import type { InversionQueryBudget } from './query-budget';

export interface InversionAttackContext {
  readonly target: TargetModel;
  /** The model's ONNX bytes when privaudit holds them (white-box gradients); absent for a remote target. */
  readonly modelBytes?: Uint8Array;
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population?: LabeledDataset;
  /** True when the target answers labels only (a labels-only model or the 'labels' output policy). */
  readonly labelsOnly: boolean;
  readonly seed: number;
  /** The declared sensitive column (attribute inference). */
  readonly sensitiveColumn?: string;
  readonly preprocessing?: PreprocessingSpec;
  /** Class names in class-index order, when known. */
  readonly classes?: readonly string[];
  readonly budget: InversionQueryBudget;
  readonly topExposed: number;
  /** Findings the rating compares (all families): the multiplicity the severity corrects for. */
  readonly attacksCompared: number;
  /** Where MI-Face writes its reconstructions (CSV, and PNG for image-shaped inputs). */
  readonly outDir?: string;
  /** MI-Face: reconstructions per class (different start points); default MIFACE_SETTINGS.restarts. */
  readonly restarts?: number;
  readonly onProgress?: (fraction: number, message?: string) => void;
}

export interface InversionAttack {
  readonly id: InversionAttackId;
  /** The least the attack needs from the target. */
  readonly access: TargetAccess;
  readonly needsPopulation: boolean;
  /** Paper citation shown in reports. */
  readonly reference: string;
  run(ctx: InversionAttackContext): Promise<InversionFinding>;
}
