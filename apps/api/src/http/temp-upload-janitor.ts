import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { BlobStore } from '../../../../libs/persistence/src/blob-store/blob-store';

const HOUR_MS = 3_600_000;

/**
 * Removes temporary upload files a crash left behind (an api killed mid-upload never deletes its temp file): at
 * start-up and every hour, those untouched for longer than any request may last (REQUEST_TIMEOUT_SECONDS) plus an
 * hour, so a live upload of another replica is never touched.
 */
@Injectable()
export class TempUploadJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TempUploadJanitor');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), HOUR_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    const removed = await this.blobs.removeStaleTemp(this.config.REQUEST_TIMEOUT_SECONDS * 1000 + HOUR_MS);
    if (removed > 0) this.logger.log(`removed ${removed} temporary upload file(s) left by an interrupted upload`);
    return removed;
  }
}
