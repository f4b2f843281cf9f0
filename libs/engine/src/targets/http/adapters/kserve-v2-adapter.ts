// KServe / Open Inference Protocol v2 REST (https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/):
// POST /v2/models/{name}/infer with {"inputs":[{"name","shape":[n,d],"datatype":"FP32","data":[row-major]}]};
// the answer's "outputs" hold tensors {"name","shape","datatype","data"} (data row-major, flat or nested).
// For scores the first floating-point output is read as [n, classes]; for labels the first integer (or BYTES,
// class names) output as [n].

import { EngineError, EngineErrorCode } from '../../../errors';
import { type AdapterContext, endpointUrl, type ProtocolAdapter, type RawAnswerRows } from './protocol-adapter';

const FLOAT_TYPES = new Set(['FP16', 'FP32', 'FP64']);
const LABEL_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BYTES']);

function flatten(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  return value.some((v) => Array.isArray(v)) ? value.flatMap((v) => flatten(v)) : value;
}

export function kserveV2Adapter(ctx: AdapterContext): ProtocolAdapter {
  const { spec, nFeatures, numClasses } = ctx;
  const explicit = /\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/;
  if (spec.modelName === undefined && !explicit.test(new URL(spec.url).pathname)) {
    throw new EngineError(
      EngineErrorCode.InvalidTargetSpec,
      "remote target field 'modelName': required for kserve-v2 unless the URL is the full /v2/models/<name>/infer URL (--target-model-name)",
    );
  }
  const url = endpointUrl(spec.url, `/v2/models/${spec.modelName ?? ''}/infer`, explicit);
  const inputName = spec.inputName ?? 'input';
  return {
    url,
    maxBatchSize: Number.MAX_SAFE_INTEGER,
    defaultBatchSize: 256,
    output: spec.output,
    encode(features, nRows) {
      return {
        inputs: [{ name: inputName, shape: [nRows, nFeatures], datatype: 'FP32', data: Array.from(features) }],
      };
    },
    decode(answer, nRows): RawAnswerRows | string {
      const outputs = (answer as { outputs?: unknown } | null)?.outputs;
      if (!Array.isArray(outputs) || outputs.length === 0) return "no 'outputs' array";
      const wanted = spec.output === 'labels' ? LABEL_TYPES : FLOAT_TYPES;
      const tensor = (outputs.find((o) => wanted.has(String((o as { datatype?: unknown }).datatype))) ??
        outputs[0]) as { datatype?: unknown; shape?: unknown; data?: unknown };
      if (!Array.isArray(tensor.data)) return "output tensor without a 'data' array";
      const data = flatten(tensor.data);
      if (spec.output === 'labels') {
        if (data.length !== nRows) return `output tensor holds ${data.length} values for ${nRows} rows`;
        return data;
      }
      if (data.length !== nRows * numClasses)
        return `output tensor holds ${data.length} values for ${nRows} rows of ${numClasses} classes`;
      const rows: unknown[] = [];
      for (let r = 0; r < nRows; r++) rows.push(data.slice(r * numClasses, (r + 1) * numClasses));
      return rows;
    },
  };
}
