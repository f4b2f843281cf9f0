import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import type { AttackId } from '../../../libs/engine/src/types';
import { BlobStore } from '../../../libs/persistence/src/blob-store/blob-store';
import type { AuditRecord, DatasetRecord } from '../../../libs/persistence/src/records';
import { DatasetRepository } from '../../../libs/persistence/src/repositories/dataset.repository';
import { ModelRepository, PREPROCESSING_SPEC_NAME } from '../../../libs/persistence/src/repositories/model.repository';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { remoteTargetOf } from '../../../libs/persistence/src/secrets/endpoint-target';
import { attackRequestOptions } from '../../../libs/persistence/src/audit-attack-options';
import {
  EndpointSecretBox,
  SecretsUnavailableError,
  type EndpointSecrets,
} from '../../../libs/persistence/src/secrets/endpoint-secret-box';
import type { AuditChildInput, AuditChildOutbound } from './audit-child-messages';
import { FinalAuditFailure } from './audit-job-failures';

/** What a child process needs to run an audit (or one of its reference models): local blob paths and options. */
@Injectable()
export class AuditChildInputs {
  constructor(
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(DatasetRepository) private readonly datasets: DatasetRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EndpointSecretBox) private readonly secrets: EndpointSecretBox,
    @Inject(AuditRepository) private readonly audits: AuditRepository,
  ) {}

  async of(audit: AuditRecord): Promise<AuditChildInput> {
    const version = await this.models.findVersion(audit.modelVersionId);
    if (!version)
      throw new FinalAuditFailure('AUDIT_INPUT_MISSING', 'the model version of this audit no longer exists');
    const members = await this.dataset(audit.membersDatasetId);
    const nonMembers = await this.dataset(audit.nonMembersDatasetId);
    const population = audit.populationDatasetId ? await this.dataset(audit.populationDatasetId) : undefined;
    const file = (d: DatasetRecord) => ({ path: this.blobs.localPath(d.sha256), name: `${d.name}.csv` });
    const endpoint = version.kind === 'endpoint';
    for (const sha256 of [
      ...(endpoint ? [] : [version.sha256]),
      members.sha256,
      nonMembers.sha256,
      ...(population ? [population.sha256] : []),
      ...(version.preprocessing ? [version.preprocessing.sha256] : []),
    ]) {
      // Missing blob on this machine: a shared-volume problem, worth a retry elsewhere.
      if (!(await this.blobs.exists(sha256)))
        throw new Error(`stored file ${sha256.slice(0, 12)}... is not available to this worker`);
    }
    return {
      ...(endpoint
        ? {
            remoteTarget: remoteTargetOf(version, await this.endpointSecrets(version.id)),
            outbound: await this.outbound(audit, version.ownershipToken),
          }
        : { modelPath: this.blobs.localPath(version.sha256) }),
      members: file(members),
      nonMembers: file(nonMembers),
      ...(population ? { population: file(population) } : {}),
      labelColumn: members.labelColumn,
      ...(members.idColumn ? { idColumn: members.idColumn } : {}),
      ...(audit.groupColumn ? { groupColumn: audit.groupColumn } : {}),
      ...(version.preprocessing
        ? {
            preprocessing: {
              path: this.blobs.localPath(version.preprocessing.sha256),
              name: PREPROCESSING_SPEC_NAME,
            },
          }
        : {}),
      ...(audit.classes
        ? { classes: [...audit.classes] }
        : version.classNames
          ? { classes: [...version.classNames] }
          : {}),
      ...(version.numClasses !== null ? { numClasses: version.numClasses } : {}),
      ...(audit.outputPolicy ? { outputPolicy: audit.outputPolicy } : {}),
      ...(audit.attacks ? { attacks: audit.attacks as AttackId[] } : {}),
      seed: audit.seed,
      ...(audit.referenceModels ? { referenceModels: audit.referenceModels } : {}),
      ...(audit.referenceTraining ? { referenceTraining: { ...audit.referenceTraining } } : {}),
      ...(audit.referenceHidden ? { referenceHidden: [...audit.referenceHidden] } : {}),
      ...(audit.referenceActivation ? { referenceActivation: audit.referenceActivation } : {}),
      ...(audit.duplicates ? { duplicates: audit.duplicates } : {}),
      ...(audit.targetTrainSize ? { targetTrainSize: audit.targetTrainSize } : {}),
      maxModelBytes: this.config.MAX_MODEL_BYTES,
      // A model file's query budget is each extraction run's (an endpoint's is the hard cap, in `outbound`).
      ...(!endpoint && audit.queryBudget !== null ? { queryBudget: audit.queryBudget } : {}),
      ...(audit.attackOptions ? { attackOptions: attackRequestOptions(audit.attackOptions) } : {}),
    };
  }

  /** The endpoint's decrypted secrets (null when it has none). A key that cannot open them fails the audit for good. */
  private async endpointSecrets(versionId: string): Promise<EndpointSecrets | null> {
    const sealed = await this.models.findEndpointSecrets(versionId);
    if (sealed === null) return null;
    try {
      return this.secrets.open(sealed, versionId);
    } catch (e) {
      if (e instanceof SecretsUnavailableError) throw new FinalAuditFailure('SECRETS_UNAVAILABLE', e.message);
      throw e;
    }
  }

  private async outbound(audit: AuditRecord, ownershipToken: string | null): Promise<AuditChildOutbound> {
    return {
      allowHosts: [...this.config.OUTBOUND_ALLOW_HOSTS],
      queryBudget: audit.queryBudget ?? this.config.DEFAULT_QUERY_BUDGET,
      ...(ownershipToken !== null ? { ownershipToken } : {}),
      // Read now, not from the audit row loaded earlier: an attempt that died a moment ago may have spent more.
      queriesSpent: (await this.audits.queriesUsed(audit.id)) ?? audit.queriesUsed,
    };
  }

  private async dataset(id: string): Promise<DatasetRecord> {
    const d = await this.datasets.findById(id);
    if (!d) throw new FinalAuditFailure('AUDIT_INPUT_MISSING', `dataset ${id} of this audit no longer exists`);
    return d;
  }
}
