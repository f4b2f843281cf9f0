// Accuracy of an exported ONNX model on labelled rows, measured through the same onnxruntime target the
// audit uses, so the demo's numbers describe the file being audited rather than the trainer's tensors.
import { OnnxTarget } from '../../../libs/engine/src/targets/onnx-target';
import type { TrainingData } from '../../../libs/engine/src/training/mlp';

export async function predictedLabelAccuracy(model: Uint8Array, data: TrainingData): Promise<number> {
  const target = await OnnxTarget.load(model, { fileLabel: 'target.onnx' });
  try {
    const { probabilities } = await target.predict(data.features, data.nRows);
    const numClasses = target.signature.numClasses;
    let correct = 0;
    for (let r = 0; r < data.nRows; r++) {
      let best = 0;
      for (let c = 1; c < numClasses; c++) {
        if ((probabilities[r * numClasses + c] as number) > (probabilities[r * numClasses + best] as number)) best = c;
      }
      if (best === data.labels[r]) correct++;
    }
    return data.nRows === 0 ? 0 : correct / data.nRows;
  } finally {
    await target.dispose();
  }
}
