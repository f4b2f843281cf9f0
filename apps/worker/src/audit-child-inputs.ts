import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { auditRequestFiles } from '../../../libs/persistence/src/audit-request-files';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../../libs/persistence/src/blob-store/blob-store';
import { DataVault } from '../../../libs/persistence/src/encryption/data-vault';
import { DataEncryptionUnavailableError } from '../../../libs/persistence/src/encryption/master-keyring';
import { SealedDataError } from '../../../libs/persistence/src/encryption/sealed-stream';
import type { ReferenceModelSealing } from '../../../libs/persistence/src/postgres-reference-model-store';
import type { AuditRecord, DatasetRecord } from '../../../libs/persistence/src/records';
import { DatasetRepository } from '../../../libs/persistence/src/repositories/dataset.repository';
import { ModelRepository } from '../../../libs/persistence/src/repositories/model.repository';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { PseudonymKeyRepository } from '../../../libs/persistence/src/repositories/pseudonym-key.repository';
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
    @Inject(DataVault) private readonly vault: DataVault,
    @Inject(PseudonymKeyRepository) private readonly pseudonymKeys: PseudonymKeyRepository,
  ) {}

  /**
   * The tenant's pseudonym key, hex, for an audit commissioned with pseudonymised row ids (else undefined): IPC to
   * the audit's child only, never the environment, a file or a log (docs/security.md, "Pseudonymised row ids").
   * A key removed since commission fails the audit for good: running it with raw ids would break the promise.
   */
  async pseudonymKeyOf(audit: AuditRecord): Promise<{ pseudonymKeyHex: string } | Record<string, never>> {
    if (audit.attackOptions?.pseudonymizeIds !== true) return {};
    const stored = await this.pseudonymKeys.current();
    if (!stored)
      throw new FinalAuditFailure(
        'PSEUDONYM_KEY_MISSING',
        "the audit pseudonymises row ids, but the tenant's pseudonym key was removed; set one and commission it again",
      );
    try {
      const key = await this.vault.dataKey(stored.dataKeyId, `the tenant's pseudonym key ${stored.keyId}`);
      return { pseudonymKeyHex: key.toString('hex') };
    } catch (e) {
      if (e instanceof SealedDataError) throw new FinalAuditFailure('STORED_DATA_UNREADABLE', e.message);
      if (e instanceof DataEncryptionUnavailableError)
        throw new FinalAuditFailure('DATA_ENCRYPTION_UNAVAILABLE', e.message);
      throw e;
    }
  }

  /**
   * The child's input. The datasets are sealed at rest: they are opened (verified in full) into `scratch`, the
   * child's own directory, which is removed with the child; no other decrypted copy exists.
   */
  async of(audit: AuditRecord, scratch: string): Promise<AuditChildInput> {
    const version = await this.models.findVersion(audit.modelVersionId);
    if (!version)
      throw new FinalAuditFailure('AUDIT_INPUT_MISSING', 'the model version of this audit no longer exists');
    const members = await this.dataset(audit.membersDatasetId);
    const nonMembers = await this.dataset(audit.nonMembersDatasetId);
    const population = audit.populationDatasetId ? await this.dataset(audit.populationDatasetId) : undefined;
    const endpoint = version.kind === 'endpoint';
    for (const sha256 of [
      ...(endpoint ? [] : [version.sha256]),
      this.vault.blobOf(members),
      this.vault.blobOf(nonMembers),
      ...(population ? [this.vault.blobOf(population)] : []),
      ...(version.preprocessing ? [version.preprocessing.sha256] : []),
    ]) {
      // Missing blob on this machine: a shared-volume problem, worth a retry elsewhere.
      if (!(await this.blobs.exists(sha256)))
        throw new Error(`stored file ${sha256.slice(0, 12)}... is not available to this worker`);
    }
    const inputs = join(scratch, 'inputs');
    await mkdir(inputs, { recursive: true, mode: 0o700 });
    const opened = async (d: DatasetRecord, role: string) => {
      const path = join(inputs, `${role}.csv`);
      try {
        await this.vault.openFile(d, path, `the stored file of dataset '${d.name}' (${d.id})`);
      } catch (e) {
        // Tampered, truncated, or its key is gone: retrying elsewhere cannot help.
        if (e instanceof SealedDataError) throw new FinalAuditFailure('STORED_DATA_UNREADABLE', e.message);
        if (e instanceof DataEncryptionUnavailableError)
          throw new FinalAuditFailure('DATA_ENCRYPTION_UNAVAILABLE', e.message);
        throw e;
      }
      return path;
    };
    const membersPath = await opened(members, 'members');
    const nonMembersPath = await opened(nonMembers, 'non-members');
    const populationPath = population ? await opened(population, 'population') : undefined;
    return {
      ...(endpoint
        ? {
            remoteTarget: remoteTargetOf(version, await this.endpointSecrets(version.id)),
            outbound: await this.outbound(audit, version.ownershipToken),
          }
        : {}),
      // The same mapping the api planned and priced the audit with (its reference models' cache keys).
      ...auditRequestFiles(
        audit,
        version,
        { members, nonMembers, population },
        // The datasets as opened into the child's scratch directory (sealed at rest), not their stored blobs.
        [membersPath, nonMembersPath, populationPath],
        (sha256) => this.blobs.localPath(sha256),
        this.config.MAX_MODEL_BYTES,
      ),
      // A model file's query budget is each extraction run's (an endpoint's is the hard cap, in `outbound`).
      ...(!endpoint && audit.queryBudget !== null ? { queryBudget: audit.queryBudget } : {}),
      ...(audit.attackOptions ? { attackOptions: attackRequestOptions(audit.attackOptions) } : {}),
    };
  }

  /** How reference models trained for this audit are sealed: the members dataset's key; derived from all its data. */
  async referenceSealing(audit: AuditRecord): Promise<ReferenceModelSealing> {
    const members = await this.dataset(audit.membersDatasetId);
    return {
      keyId: members.keyId,
      sources: [
        audit.membersDatasetId,
        audit.nonMembersDatasetId,
        ...(audit.populationDatasetId ? [audit.populationDatasetId] : []),
      ],
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
