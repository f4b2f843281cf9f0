// Benchmarks only (bench/legacy/tfjs-mlp-trainer.ts): one TensorFlow.js runtime per process, chosen once: the native tfjs-node binding when it is installed
// (optional: its binary download is blocked on many machines, so it is never a dependency), else the
// WebAssembly backend that ships inside its npm package, else the pure-JS cpu backend.
import * as path from 'node:path';

export type Tensorflow = typeof import('@tensorflow/tfjs');

export interface TensorflowRuntime {
  readonly tf: Tensorflow;
  /** 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  readonly backend: string;
}

let runtime: Promise<TensorflowRuntime> | undefined;

/** Memoised: every trainer in the process shares one backend. */
export function initTensorflow(): Promise<TensorflowRuntime> {
  runtime ??= chooseBackend();
  return runtime;
}

function canResolve(moduleName: string): boolean {
  try {
    require.resolve(moduleName);
    return true;
  } catch {
    return false;
  }
}

async function chooseBackend(): Promise<TensorflowRuntime> {
  if (canResolve('@tensorflow/tfjs-node')) {
    try {
      // Optional and usually absent, so no static import (the type checker would demand it installed).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tfNode = require('@tensorflow/tfjs-node') as Tensorflow;
      tfNode.enableProdMode();
      await tfNode.ready();
      return { tf: tfNode, backend: tfNode.getBackend() };
    } catch (e) {
      process.emitWarning(
        `@tensorflow/tfjs-node is installed but failed to load (${(e as Error).message}); using wasm`,
      );
    }
  }

  // Loaded on first use: commands that train nothing do not pay for tfjs' start-up.
  const tf: Tensorflow = await import('@tensorflow/tfjs');
  // PROD silences tfjs' "install tfjs-node" banner and skips per-op NaN checks we do not need.
  tf.enableProdMode();
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js'));
    wasm.setWasmPaths(`${distDir}/`);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return { tf, backend: 'wasm' };
    }
  } catch (e) {
    process.emitWarning(
      `TensorFlow.js wasm backend unavailable (${(e as Error).message}); training on the slower cpu backend`,
    );
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}
