// A raw-table audit: the request's preprocessing spec, parsed and reconciled with the request's own label
// column and class names. Kept apart from prepare-audit.ts, which only calls it.

import { EngineError, EngineErrorCode } from '../errors';
import { parsePreprocessingSpec, type PreprocessingSpec } from '../preprocessing/preprocessing-spec';
import type { AuditReport } from '../types';
import type { AuditRequest } from './audit-request';

export interface AuditPreprocessing {
  /** Undefined when the data is already the model's numeric input. */
  readonly spec?: PreprocessingSpec;
  /** The class names in effect: the request's, else the spec's label classes. */
  readonly classes?: readonly string[];
}

/**
 * Parses the request's spec (when it has one) and checks it agrees with the request: the same label column,
 * and the same class names when both declare them. Nothing is guessed: a disagreement is an error.
 */
export function resolveAuditPreprocessing(req: AuditRequest): AuditPreprocessing {
  if (!req.preprocessing) return req.classes !== undefined ? { classes: req.classes } : {};
  const spec = parsePreprocessingSpec(req.preprocessing.data, req.preprocessing.name);
  if (spec.label.column !== req.labelColumn) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `preprocessing spec ${spec.name} names label column '${spec.label.column}', the audit names '${req.labelColumn}'`,
      { file: spec.name, column: req.labelColumn },
    );
  }
  const specClasses = spec.label.classes;
  if (
    req.classes !== undefined &&
    specClasses !== undefined &&
    req.classes.join('\u0000') !== specClasses.join('\u0000')
  ) {
    throw new EngineError(
      EngineErrorCode.InvalidOption,
      `the class names given differ from those of preprocessing spec ${spec.name} (same names in the same order, or give only one of them)`,
      { file: spec.name },
    );
  }
  const classes = req.classes ?? specClasses;
  return { spec, ...(classes !== undefined ? { classes } : {}) };
}

/** What the report records of a spec: its hash and its shape (never its parameters). */
export function preprocessingReportEntry(spec: PreprocessingSpec): NonNullable<AuditReport['data']['preprocessing']> {
  return { name: spec.name, sha256: spec.sha256, features: spec.rawColumns.length, inputs: spec.width };
}
