// DELETE /datasets/:id, /models/:id, /audits/:id (docs/security.md, "Deletion"): one transaction destroys the rows,
// what derives from them (audits with their findings and reports, reference models) and the data keys
// (crypto-shredding); then the blob files no remaining row uses are removed, and a receipt listing all of it (ids,
// hashes, key ids, when, by whom) is stored append-only and returned. Refused (409) while an active audit uses it.
// The retention purge (retention/retention-purge.ts) deletes through these same methods, with a RetentionDeletion
// in place of a caller: its receipts say reason 'retention', deletedBy null, and the tenant's retentionDays.
import type { LoggerService } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import type {
  DataLifecycleRepository,
  DeletionOutcome,
  DeletionReceipt,
  DeletionSubject,
} from '../../../../libs/persistence/src/repositories/data-lifecycle.repository';
import type { ReauditScheduler } from '../../../../libs/queue/src/reaudit-scheduler';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';

const stringify = configure({ circularValue: TypeError });

/** A deletion made by the scheduled retention purge rather than by a caller's key. */
export interface RetentionDeletion {
  readonly reason: 'retention';
  readonly retentionDays: number;
}

/** The deletions themselves, without Nest (data-deletion.service.ts injects it; tests construct it directly). */
export class DataDeletion {
  constructor(
    private readonly lifecycle: DataLifecycleRepository,
    private readonly blobs: BlobStore,
    private readonly scheduler: ReauditScheduler,
    private readonly logger: Pick<LoggerService, 'warn'>,
  ) {}

  deleteDataset(id: string, by: string | null, retention?: RetentionDeletion): Promise<DeletionReceipt> {
    return this.delete('dataset', id, by, () => this.lifecycle.deleteDataset(id), retention);
  }

  async deleteModel(id: string, by: string | null): Promise<DeletionReceipt> {
    const receipt = await this.delete('model', id, by, () => this.lifecycle.deleteModel(id));
    // The plan went with the model; its job scheduler (Redis) would otherwise tick for nothing.
    await this.scheduler.remove(id).catch(() => undefined);
    return receipt;
  }

  deleteModelVersion(id: string, by: string | null): Promise<DeletionReceipt> {
    return this.delete('model-version', id, by, () => this.lifecycle.deleteModelVersion(id));
  }

  deleteAudit(id: string, by: string | null, retention?: RetentionDeletion): Promise<DeletionReceipt> {
    return this.delete('audit', id, by, () => this.lifecycle.deleteAudit(id), retention);
  }

  async receipt(id: string): Promise<DeletionReceipt> {
    return foundOrNotFound(await this.lifecycle.findReceipt(id), `deletion receipt ${id}`);
  }

  private async delete(
    subjectType: DeletionSubject,
    subjectId: string,
    by: string | null,
    run: () => Promise<DeletionOutcome>,
    retention?: RetentionDeletion,
  ): Promise<DeletionReceipt> {
    const outcome = await run();
    if ('notFound' in outcome)
      throw new ServiceError(ServiceErrorCode.NotFound, `${subjectType} ${subjectId} not found`);
    if ('conflict' in outcome) {
      const { activeAudits, auditPlans } = outcome.conflict;
      const why = [
        ...(activeAudits.length > 0 ? [`active audits use it (${activeAudits.join(', ')}): cancel them first`] : []),
        ...(auditPlans.length > 0
          ? [`the audit plans of models ${auditPlans.join(', ')} name it: change or delete those plans first`]
          : []),
      ];
      throw new ServiceError(
        ServiceErrorCode.ResourceInUse,
        `${subjectType} ${subjectId} cannot be deleted: ${why.join('; ')}`,
        {
          activeAudits,
          auditPlans,
        },
      );
    }
    const removed: string[] = [];
    for (const blob of outcome.deleted.unreferencedBlobs) {
      try {
        if (await this.blobs.remove(blob)) removed.push(blob);
      } catch (e) {
        // The rows and keys are gone already; a sealed file left behind cannot be opened. Say so in the log.
        this.logger.warn(`blob ${blob.slice(0, 12)}... could not be removed: ${(e as Error).message}`);
      }
    }
    const body = {
      id: randomUUID(),
      subjectType,
      subjectId,
      deletedAt: new Date().toISOString(),
      deletedBy: retention ? null : by,
      reason: retention ? retention.reason : ('request' as const),
      ...(retention ? { retentionDays: retention.retentionDays } : {}),
      items: outcome.deleted.items,
      blobsRemoved: removed,
    };
    const receipt: DeletionReceipt = {
      ...body,
      sha256: createHash('sha256')
        .update(stringify(body) as string)
        .digest('hex'),
    };
    await this.lifecycle.appendReceipt(receipt);
    return receipt;
  }
}
