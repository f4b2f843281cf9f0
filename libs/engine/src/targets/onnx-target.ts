// The audited model, run in-process with onnxruntime-node. When the graph ends in a Softmax the tensor
// feeding it is exposed as an extra output: in float32 a confident model's softmax rounds to exactly 1.0 for
// many training members, which erases the margin that LiRA's logit scaling (Carlini et al., S&P 2022) needs.
// A labels-only model (integer class-index output, see onnx-inspection.ts) answers one-hot probabilities.

import { InferenceSession, Tensor } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { EngineError, EngineErrorCode } from '../errors';
import type { ModelSignature, TargetModel, TargetOutputs } from '../types';
import { inspectOnnxModel } from './onnx-inspection';
import { softmaxRows } from '../math/softmax';

export interface OnnxTargetOptions {
  /** Rows per inference call. Default 512. */
  batchSize?: number;
  maxBytes?: number;
  fileLabel?: string;
  /** Number of classes; required for a labels-only model (see OnnxInspectionOptions.numClasses). */
  numClasses?: number;
}

const DEFAULT_BATCH_ROWS = 512;

/**
 * Adds `tensorName` as one more graph output without re-encoding the model: protobuf merges a repeated
 * field across concatenated messages, so appending a ModelProto that holds only `graph.output = [x]`
 * appends x to the outputs and leaves every other byte, including fields onnx-proto does not know, intact.
 */
export function appendGraphOutput(bytes: Uint8Array, tensorName: string, type: onnx.ITypeProto): Uint8Array {
  const extra = onnx.ModelProto.encode(
    onnx.ModelProto.create({ graph: { output: [{ name: tensorName, type }] } }),
  ).finish();
  const merged = new Uint8Array(bytes.length + extra.length);
  merged.set(bytes, 0);
  merged.set(extra, bytes.length);
  return merged;
}

/** Row-wise softmax of a logits output (see math/softmax.ts). */
export const stableSoftmax = (logits: Float32Array, nRows: number, numClasses: number): Float32Array =>
  softmaxRows(logits, nRows, numClasses);

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/** onnxruntime's words for an allocation that failed (a memory limit reached, or a graph inflating a tensor). */
const ALLOCATION_FAILURE = /failed to allocate|bad_alloc|out of memory|cannot allocate/i;

/** A runtime failure as an engine error: MODEL_RESOURCE_LIMIT when memory ran out, else MODEL_RUNTIME_FAILURE. */
function runtimeError(error: unknown, message: string, location: EngineError['location']): EngineError {
  if (ALLOCATION_FAILURE.test(firstLine(error))) {
    return new EngineError(
      EngineErrorCode.ModelResourceLimit,
      `${message}: the model needed more memory than the audit process may use (${firstLine(error)})`,
      location,
    );
  }
  return new EngineError(EngineErrorCode.ModelRuntimeFailure, `${message}: ${firstLine(error)}`, location);
}

export class OnnxTarget implements TargetModel {
  private constructor(
    readonly signature: ModelSignature,
    private readonly session: InferenceSession,
    private readonly rowsPerRun: number,
    private readonly fileLabel: string,
  ) {}

  /** Inspects (see onnx-inspection.ts), then opens an onnxruntime session. Throws EngineError. */
  static async load(bytes: Uint8Array, opts: OnnxTargetOptions = {}): Promise<OnnxTarget> {
    const fileLabel = opts.fileLabel ?? 'model file';
    const inspection = inspectOnnxModel(bytes, { maxBytes: opts.maxBytes, fileLabel, numClasses: opts.numClasses });
    const { signature } = inspection;
    const logits = signature.logitsTensorName;
    const runnable =
      logits !== undefined && !inspection.graphOutputNames.includes(logits)
        ? appendGraphOutput(bytes, logits, inspection.outputType)
        : bytes;
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(Buffer.from(runnable.buffer, runnable.byteOffset, runnable.byteLength), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw runtimeError(error, `${fileLabel}: onnxruntime cannot load the model`, { file: fileLabel });
    }
    const rowsPerRun = inspection.batchSize === 1 ? 1 : Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_ROWS));
    return new OnnxTarget(signature, session, rowsPerRun, fileLabel);
  }

  async predict(features: Float32Array, nRows: number): Promise<TargetOutputs> {
    const { nFeatures, numClasses, outputName, outputKind, logitsTensorName } = this.signature;
    if (!Number.isInteger(nRows) || nRows < 0 || features.length !== nRows * nFeatures) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `predict: ${features.length} feature values do not form ${nRows} rows of ${nFeatures} features`,
      );
    }
    if (outputKind === 'labels') return { probabilities: await this.predictLabels(features, nRows) };
    const primary = new Float32Array(nRows * numClasses);
    const extraLogits = logitsTensorName !== undefined ? new Float32Array(nRows * numClasses) : undefined;
    const fetches = logitsTensorName !== undefined ? [outputName, logitsTensorName] : [outputName];

    for (let start = 0; start < nRows; start += this.rowsPerRun) {
      const rows = Math.min(this.rowsPerRun, nRows - start);
      const batch = features.slice(start * nFeatures, (start + rows) * nFeatures);
      const results = await this.run(batch, rows, start, fetches);
      this.copyOutput(results, outputName, rows, start, primary);
      if (extraLogits && logitsTensorName !== undefined)
        this.copyOutput(results, logitsTensorName, rows, start, extraLogits);
    }

    if (outputKind === 'logits') {
      return { probabilities: stableSoftmax(primary, nRows, numClasses), logits: primary };
    }
    return extraLogits ? { probabilities: primary, logits: extraLogits } : { probabilities: primary };
  }

  /** One-hot rows from the model's class indices: the probabilities an API answering labels implies. */
  private async predictLabels(features: Float32Array, nRows: number): Promise<Float32Array> {
    const { nFeatures, numClasses, outputName } = this.signature;
    const oneHot = new Float32Array(nRows * numClasses);
    for (let start = 0; start < nRows; start += this.rowsPerRun) {
      const rows = Math.min(this.rowsPerRun, nRows - start);
      const batch = features.slice(start * nFeatures, (start + rows) * nFeatures);
      const tensor = (await this.run(batch, rows, start, [outputName]))[outputName] as Tensor | undefined;
      if (!tensor || (tensor.type !== 'int64' && tensor.type !== 'int32') || tensor.data.length !== rows) {
        throw new EngineError(
          EngineErrorCode.ModelRuntimeFailure,
          `${this.fileLabel}: output '${outputName}' has type ${tensor?.type ?? 'none'} and ${tensor?.data.length ?? 0} values for ${rows} rows; expected one int64 class index per row`,
          { file: this.fileLabel },
        );
      }
      const data = tensor.data as BigInt64Array | Int32Array;
      for (let i = 0; i < rows; i++) {
        const label = Number(data[i]);
        if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
          const row = start + i + 1;
          throw new EngineError(
            EngineErrorCode.ModelRuntimeFailure,
            `${this.fileLabel}: output '${outputName}' for row ${row} is not a class index from 0 to ${numClasses - 1} (was the number of classes declared correctly?)`,
            { file: this.fileLabel, row },
          );
        }
        oneHot[(start + i) * numClasses + label] = 1;
      }
    }
    return oneHot;
  }

  private async run(
    batch: Float32Array,
    rows: number,
    start: number,
    fetches: string[],
  ): Promise<InferenceSession.OnnxValueMapType> {
    const { nFeatures, inputName } = this.signature;
    try {
      return await this.session.run({ [inputName]: new Tensor('float32', batch, [rows, nFeatures]) }, fetches);
    } catch (error) {
      throw runtimeError(error, `${this.fileLabel}: inference failed on rows ${start + 1}-${start + rows}`, {
        file: this.fileLabel,
        row: start + 1,
      });
    }
  }

  private copyOutput(
    results: InferenceSession.OnnxValueMapType,
    name: string,
    rows: number,
    startRow: number,
    into: Float32Array,
  ): void {
    const { numClasses } = this.signature;
    const tensor = results[name] as Tensor | undefined;
    const expected = rows * numClasses;
    if (!tensor || tensor.type !== 'float32' || tensor.data.length !== expected) {
      throw new EngineError(
        EngineErrorCode.ModelRuntimeFailure,
        `${this.fileLabel}: output '${name}' has type ${tensor?.type ?? 'none'} and ${tensor?.data.length ?? 0} values for ${rows} rows; expected float32 [${rows}, ${numClasses}]`,
        { file: this.fileLabel },
      );
    }
    const data = tensor.data as Float32Array;
    for (let i = 0; i < expected; i++) {
      if (Number.isNaN(data[i])) {
        const row = startRow + Math.floor(i / numClasses) + 1;
        throw new EngineError(
          EngineErrorCode.ModelRuntimeFailure,
          `${this.fileLabel}: output '${name}' is NaN for row ${row}`,
          {
            file: this.fileLabel,
            row,
          },
        );
      }
    }
    into.set(data, startRow * numClasses);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
