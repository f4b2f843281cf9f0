import { Inject, Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { loadLabeledCsv } from '../../../../libs/engine/src/data/csv-dataset';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import { parsePreprocessingSpec } from '../../../../libs/engine/src/preprocessing/preprocessing-spec';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import { DataVault } from '../../../../libs/persistence/src/encryption/data-vault';
import type { DatasetRecord, ModelVersionRecord } from '../../../../libs/persistence/src/records';
import { PREPROCESSING_SPEC_NAME } from '../../../../libs/persistence/src/repositories/model.repository';
import { rawFeatureColumns } from '../datasets/dataset-catalog.service';
import { ServiceError, ServiceErrorCode } from '../http/service-error';

/**
 * What commissioning an audit checks about raw tables: a version with a preprocessing spec takes datasets with
 * the spec's columns, read through the spec (the engine's loader) before anything is queued; a version without
 * one refuses raw tables, saying how to give it a spec.
 */
@Injectable()
export class AuditPreprocessingCheck {
  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(DataVault) private readonly vault: DataVault,
  ) {}

  /** The class names in effect: the audit's, else the spec's; both given, they must agree. */
  classesOf(version: ModelVersionRecord, requested: readonly string[] | undefined): readonly string[] | undefined {
    const declared = version.preprocessing?.classes;
    if (requested !== undefined && declared !== undefined && requested.join('\u0000') !== declared.join('\u0000')) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `the classes given differ from those of model version ${version.version}'s preprocessing spec (same names in the same order, or leave classes out)`,
      );
    }
    // Names declared at upload (classNames) apply too; setPreprocessing keeps the two in agreement.
    const uploaded = version.classNames ?? undefined;
    if (requested !== undefined && uploaded !== undefined && requested.join('\u0000') !== uploaded.join('\u0000')) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `the classes given differ from the classNames model version ${version.version} was uploaded with (same names in the same order, or leave classes out)`,
      );
    }
    return requested ?? declared ?? uploaded;
  }

  /** The dataset has the spec's label column and every raw column it reads. */
  assertColumns(version: ModelVersionRecord, d: DatasetRecord): void {
    const spec = version.preprocessing;
    if (!spec) return;
    if (d.labelColumn !== spec.labelColumn) {
      throw new ServiceError(
        ServiceErrorCode.DatasetColumnsMismatch,
        `dataset '${d.name}' declares label column '${d.labelColumn}', model version ${version.version}'s preprocessing spec '${spec.labelColumn}'`,
      );
    }
    const have = new Set(d.columns.map((col) => col.name));
    const missing = spec.rawColumns.filter((name) => !have.has(name));
    if (missing.length > 0) {
      throw new ServiceError(
        ServiceErrorCode.DatasetColumnsMismatch,
        `dataset '${d.name}' lacks ${missing.length} column(s) model version ${version.version}'s preprocessing spec reads: ${missing
          .slice(0, 5)
          .map((n) => `'${n}'`)
          .join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      );
    }
  }

  /** Without a spec, a raw table (string or missing cells among its features) cannot be audited. */
  assertNumeric(version: ModelVersionRecord, d: DatasetRecord, groupColumn: string | undefined): void {
    const raw = rawFeatureColumns(d).filter((name) => name !== groupColumn);
    if (raw.length === 0) return;
    throw new ServiceError(
      ServiceErrorCode.DatasetColumnsMismatch,
      `dataset '${d.name}' is a raw table (string or missing cells in ${raw
        .slice(0, 5)
        .map((n) => `'${n}'`)
        .join(
          ', ',
        )}${raw.length > 5 ? ', ...' : ''}) and model version ${version.version} has no preprocessing spec to encode it; set one with PUT /model-versions/${version.id}/preprocessing`,
    );
  }

  /** Reads every dataset through the spec as the audit will: unknown categories, refused gaps, bad numbers. */
  async assertEncodes(
    version: ModelVersionRecord,
    datasets: readonly DatasetRecord[],
    groupColumn: string | undefined,
    classes: readonly string[] | undefined,
  ): Promise<void> {
    const input = await this.specInput(version);
    const spec = parsePreprocessingSpec(input.data, input.name);
    for (const d of datasets) {
      await this.vault.withPlaintext([d], ([path]) =>
        loadLabeledCsv(path as string, {
          fileLabel: `${d.name}.csv`,
          labelColumn: d.labelColumn,
          ...(d.idColumn ? { idColumn: d.idColumn } : {}),
          ...(groupColumn !== undefined ? { groupColumn } : {}),
          ...(classes !== undefined ? { classes } : {}),
          numClasses: version.signature.numClasses,
          expectedFeatureCount: version.signature.nFeatures,
          preprocessing: spec,
        }),
      );
    }
  }

  /**
   * Reads already-numeric datasets as the audit will, against the model: a label outside its classes (or not one
   * of the declared class names) is a 422 naming line, row and column here, not a failed audit later.
   */
  async assertLabelsFit(
    version: ModelVersionRecord,
    datasets: readonly DatasetRecord[],
    groupColumn: string | undefined,
    classes: readonly string[] | undefined,
  ): Promise<void> {
    for (const d of datasets) {
      await this.vault.withPlaintext([d], ([path]) =>
        loadLabeledCsv(path as string, {
          fileLabel: `${d.name}.csv`,
          labelColumn: d.labelColumn,
          ...(d.idColumn ? { idColumn: d.idColumn } : {}),
          ...(groupColumn !== undefined ? { groupColumn } : {}),
          ...(classes !== undefined ? { classes } : {}),
          numClasses: version.signature.numClasses,
          expectedFeatureCount: version.signature.nFeatures,
        }),
      );
    }
  }

  /** The spec as the engine's AuditRequest takes it. */
  async specInput(version: ModelVersionRecord): Promise<{ name: string; data: Buffer }> {
    if (!version.preprocessing) throw new Error(`model version ${version.id} has no preprocessing spec`);
    return { name: PREPROCESSING_SPEC_NAME, data: await readFile(this.blobs.localPath(version.preprocessing.sha256)) };
  }
}
