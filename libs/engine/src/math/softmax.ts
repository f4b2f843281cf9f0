// Softmax over rows of logits, shared by the ONNX target (graphs that output logits) and the JS forward
// pass of reference models. Float64 accumulation, shifted by the row maximum so large logits cannot overflow.

export function softmaxRows(logits: ArrayLike<number>, nRows: number, numClasses: number): Float32Array {
  const out = new Float32Array(nRows * numClasses);
  for (let r = 0; r < nRows; r++) {
    const o = r * numClasses;
    let max = -Infinity;
    for (let j = 0; j < numClasses; j++) max = Math.max(max, logits[o + j] as number);
    let sum = 0;
    for (let j = 0; j < numClasses; j++) sum += Math.exp((logits[o + j] as number) - max);
    for (let j = 0; j < numClasses; j++) out[o + j] = Math.exp((logits[o + j] as number) - max) / sum;
  }
  return out;
}
