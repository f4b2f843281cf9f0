// Worker-thread entry of parallel-training.ts: one onnxruntime training session at a time per thread, trains every
// group of reference models it is handed on the shared record pool and sends the weights back (transferred,
// not copied). Runs only as compiled JavaScript (dist/), started by trainGroupsInParallel.
import { parentPort, workerData } from 'node:worker_threads';
import { isEngineError } from '../errors';
import type { MlpWeights, TrainingData } from './mlp';
import { trainMlpOnSubsets } from './mlp-trainer';
import type { GroupResult, StopRequest, TrainGroupRequest, TrainingWorkerData } from './parallel-training';

function poolView(data: TrainingWorkerData): TrainingData {
  return {
    features: new Float32Array(data.features),
    labels: new Int32Array(data.labels),
    nRows: data.nRows,
    nFeatures: data.nFeatures,
  };
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as TrainingWorkerData;
  const pool = poolView(data);
  // Groups arrive one at a time (the parent waits for each answer), so jobs never interleave.
  let training: AbortController | undefined;
  port.on('message', (request: TrainGroupRequest | StopRequest) => {
    if ('stop' in request) {
      // Stop after the current epoch (the trainer checks the signal between session calls), then exit.
      if (training) training.abort(new Error('reference model training stopped'));
      else process.exit(0);
      return;
    }
    const controller = new AbortController();
    training = controller;
    void trainMlpOnSubsets(pool, request.inMask, data.architecture, {
      ...data.training,
      seeds: request.seeds,
      signal: controller.signal,
    })
      .then(
        (models: MlpWeights[]) => {
          const transfer = models.flatMap((w) => w.layers.flatMap((l) => [l.weights.buffer, l.bias.buffer]));
          port.postMessage({ job: request.job, models } satisfies GroupResult, transfer as ArrayBuffer[]);
        },
        (e: unknown) => {
          const error = e instanceof Error ? e : new Error(String(e));
          port.postMessage({
            job: request.job,
            error: {
              message: error.message,
              ...(isEngineError(error) ? { code: error.code, location: error.location } : {}),
            },
          } satisfies GroupResult);
        },
      )
      .finally(() => {
        training = undefined;
        if (controller.signal.aborted) process.exit(0);
      });
  });
}
