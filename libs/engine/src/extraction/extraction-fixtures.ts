// Test and benchmark fixtures for extraction: letter (16 features, 26 classes) split into the target's training
// rows, audited members / non-members and a population of natural queries, and real ONNX targets trained on it.
// Not used by the engine at run time.

import { loadLabeledCsv } from '../data/csv-dataset';
import { writeMlpOnnx } from '../onnx/mlp-onnx-writer';
import { OnnxTarget } from '../targets/onnx-target';
import type { MlpArchitecture, MlpWeights } from '../training/mlp';
import { trainMlp } from '../training/mlp-trainer';
import type { LabeledDataset, TargetModel, TargetOutputs } from '../types';

export interface LetterSplit {
  readonly train: LabeledDataset;
  readonly members: LabeledDataset;
  readonly nonMembers: LabeledDataset;
  readonly population: LabeledDataset;
}

export function sliceDataset(ds: LabeledDataset, from: number, to: number): LabeledDataset {
  const d = ds.nFeatures;
  return {
    ...ds,
    nRows: to - from,
    features: ds.features.slice(from * d, to * d),
    labels: ds.labels.slice(from, to),
    rowIds: ds.rowIds.slice(from, to),
  };
}

/** letter.csv: target trained on rows [0, trainRows), members its first 1000, non-members and population after. */
export async function letterSplit(csvPath: string, trainRows = 6000, populationRows = 10_000): Promise<LetterSplit> {
  const classes = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i));
  const all = await loadLabeledCsv(csvPath, { labelColumn: 'lettr', classes });
  return {
    train: sliceDataset(all, 0, trainRows),
    members: sliceDataset(all, 0, 1000),
    nonMembers: sliceDataset(all, trainRows, trainRows + 1000),
    population: sliceDataset(all, trainRows + 1000, Math.min(all.nRows, trainRows + 1000 + populationRows)),
  };
}

/** A target trained on `train`, as ONNX bytes (Gemm layers, Softmax out) and its weights. */
export async function trainedTarget(
  train: LabeledDataset,
  hidden: readonly number[],
  epochs = 40,
): Promise<{ weights: MlpWeights; bytes: Uint8Array }> {
  const arch: MlpArchitecture = { nFeatures: train.nFeatures, hidden, numClasses: 26, activation: 'relu' };
  const weights = await trainMlp(train, arch, { epochs, batchSize: 64, learningRate: 3e-3, seed: 7 });
  return { weights, bytes: writeMlpOnnx(weights) };
}

export function loadTarget(bytes: Uint8Array): Promise<OnnxTarget> {
  return OnnxTarget.load(bytes);
}

/** Wraps a target and counts every row it is asked about. */
export class CountingTarget implements TargetModel {
  rows = 0;
  constructor(
    private readonly inner: TargetModel,
    readonly signature = inner.signature,
  ) {}
  predict(features: Float32Array, nRows: number): Promise<TargetOutputs> {
    this.rows += nRows;
    return this.inner.predict(features, nRows);
  }
  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}
