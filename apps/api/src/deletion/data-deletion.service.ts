import { Inject, Injectable, Logger } from '@nestjs/common';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';
import { DataLifecycleRepository } from '../../../../libs/persistence/src/repositories/data-lifecycle.repository';
import { ReauditScheduler } from '../../../../libs/queue/src/reaudit-scheduler';
import { DataDeletion } from './data-deletion';

export type { RetentionDeletion } from './data-deletion';

/** DataDeletion (data-deletion.ts) as the api's injectable: the DELETE routes and the retention purge use it. */
@Injectable()
export class DataDeletionService extends DataDeletion {
  constructor(
    @Inject(DataLifecycleRepository) lifecycle: DataLifecycleRepository,
    @Inject(BlobStore) blobs: BlobStore,
    @Inject(ReauditScheduler) scheduler: ReauditScheduler,
  ) {
    super(lifecycle, blobs, scheduler, new Logger(DataDeletionService.name));
  }
}
