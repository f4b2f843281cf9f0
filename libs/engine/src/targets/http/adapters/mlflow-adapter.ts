// MLflow scoring server (https://mlflow.org/docs/latest/deployment/deploy-model-locally/): POST /invocations with
// {"dataframe_split": {"columns": [...], "data": [[...], ...]}}, the columns named as in the CSV header (or the
// preprocessing spec's model inputs); the answer is {"predictions": [...]} (MLflow 2) or a bare array (MLflow 1),
// one entry per row: a vector of class scores, an object of them (column -> score), or a class index / name.

import {
  type AdapterContext,
  endpointUrl,
  matrixRows,
  type ProtocolAdapter,
  type RawAnswerRows,
} from './protocol-adapter';

export function mlflowAdapter(ctx: AdapterContext): ProtocolAdapter {
  const { spec, nFeatures, featureNames } = ctx;
  const url = endpointUrl(spec.url, '/invocations', /\/invocations$/);
  const columns = featureNames.length === nFeatures ? [...featureNames] : undefined;
  return {
    url,
    maxBatchSize: Number.MAX_SAFE_INTEGER,
    defaultBatchSize: 256,
    output: spec.output,
    encode: (features, nRows) => ({
      dataframe_split: {
        ...(columns ? { columns } : {}),
        data: matrixRows(features, nRows, nFeatures),
      },
    }),
    decode(answer): RawAnswerRows | string {
      const predictions = Array.isArray(answer) ? answer : (answer as { predictions?: unknown } | null)?.predictions;
      if (!Array.isArray(predictions)) return "no 'predictions' array";
      return predictions.map((row) =>
        row !== null && typeof row === 'object' && !Array.isArray(row) ? Object.values(row) : row,
      );
    },
  };
}
