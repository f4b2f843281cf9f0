// The multilayer perceptron shape shared by target training (demo), reference/shadow models and the ONNX writer.

export type Activation = 'relu' | 'tanh' | 'sigmoid';

export interface MlpArchitecture {
  readonly nFeatures: number;
  /** Hidden layer widths, e.g. [128, 64]. Empty = multinomial logistic regression. */
  readonly hidden: readonly number[];
  readonly numClasses: number;
  readonly activation: Activation;
}

export interface DenseLayerWeights {
  /** Row-major [inputs][outputs]: weights[i * outputs + j] (Keras kernel layout; ONNX Gemm with transB=0). */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly outputs: number;
}

export interface MlpWeights {
  readonly architecture: MlpArchitecture;
  readonly layers: readonly DenseLayerWeights[];
}

/**
 * Which implementation trains (training/mlp-trainer.ts): 'onnxruntime', training graphs on onnxruntime's CPU
 * kernels (training/onnx-trainer/). The old tfjs trainer was removed from the engine (issue 10); it survives
 * in bench/legacy/ so bench:training can print it beside the new one. Models cached by tfjs builds carry no
 * trainer in their cache key and are never served as onnxruntime ones (reference-model-provider.ts).
 */
export type MlpTrainerKind = 'onnxruntime';

export interface MlpTrainingOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** L2 penalty on kernels; 0 = none (overfits, on purpose, in the demo). */
  readonly l2?: number;
  readonly seed: number;
  /** Standardise inputs inside the model (first layer folds mean/std), default true. */
  readonly standardize?: boolean;
  /**
   * Stop each model once it fits its own training rows this tightly (mean cross-entropy at most `loss` and
   * accuracy at least `accuracy`), checked after every epoch; `epochs` is then the cap. A model that meets it
   * keeps the weights of that epoch while its graph-mates train on. Used to train reference models as tightly
   * as the target fits its members (reference epochs 'auto').
   */
  readonly stopAtFit?: TrainingFit;
  readonly onEpoch?: (epoch: number, loss: number) => void;
  /** Default DEFAULT_MLP_TRAINER ('onnxruntime'). */
  readonly trainer?: MlpTrainerKind;
}

/** How tightly a model fits a set of rows: mean cross-entropy of the true label and accuracy. */
export interface TrainingFit {
  readonly loss: number;
  readonly accuracy: number;
}

/** Row-major features with integer labels: the minimum a trainer needs. */
export interface TrainingData {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly nRows: number;
  readonly nFeatures: number;
  /**
   * Soft labels (probability targets), row-major nRows * numClasses, each row summing to 1: when given, the
   * cross-entropy is taken against these instead of the one-hot `labels` (knockoff surrogates learn the
   * target's probabilities; Hinton et al. 2015 distillation). `labels` must then be each row's argmax: the
   * fit (accuracy) is still measured on them. The gradient w.r.t. the logits stays softmax - target.
   */
  readonly targets?: Float32Array;
}
