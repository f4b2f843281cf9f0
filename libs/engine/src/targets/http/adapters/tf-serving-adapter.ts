// TensorFlow Serving REST predict API (https://www.tensorflow.org/tfx/serving/api_rest): POST
// /v1/models/{name}:predict with the row format {"instances": [[...], ...]}; the answer is {"predictions": [...]},
// one entry per instance (a vector of class scores, or a class index for labels).

import { EngineError, EngineErrorCode } from '../../../errors';
import {
  type AdapterContext,
  endpointUrl,
  matrixRows,
  type ProtocolAdapter,
  type RawAnswerRows,
} from './protocol-adapter';

export function tfServingAdapter(ctx: AdapterContext): ProtocolAdapter {
  const { spec, nFeatures } = ctx;
  const explicit = /\/v1\/models\/[^/]+(\/versions\/[^/]+|\/labels\/[^/]+)?:predict$/;
  if (spec.modelName === undefined && !explicit.test(new URL(spec.url).pathname)) {
    throw new EngineError(
      EngineErrorCode.InvalidTargetSpec,
      "remote target field 'modelName': required for tf-serving unless the URL is the full /v1/models/<name>:predict URL (--target-model-name)",
    );
  }
  const url = endpointUrl(spec.url, `/v1/models/${spec.modelName ?? ''}:predict`, explicit);
  return {
    url,
    maxBatchSize: Number.MAX_SAFE_INTEGER,
    defaultBatchSize: 256,
    output: spec.output,
    encode: (features, nRows) => ({ instances: matrixRows(features, nRows, nFeatures) }),
    decode(answer): RawAnswerRows | string {
      const predictions = (answer as { predictions?: unknown } | null)?.predictions;
      if (!Array.isArray(predictions)) return "no 'predictions' array";
      return predictions;
    },
  };
}
