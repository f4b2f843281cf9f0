import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { tmpdir } from 'node:os';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { removeStaleEntries } from '../../../libs/persistence/src/blob-store/stale-files';

const HOUR_MS = 3_600_000;

/** What the worker creates in the temp directory, per job: materialised reference models, model-process scratch, artefacts. */
export const WORKER_SCRATCH_PREFIXES = [
  'privaudit-reference-models-',
  'privaudit-model-process-',
  'privaudit-artifacts-',
] as const;

/**
 * Removes job scratch directories a crash left behind (a worker killed with SIGKILL never runs its cleanup): at
 * start-up and every hour, those untouched for longer than a job may run (AUDIT_TIMEOUT_SECONDS) plus an hour, so
 * another worker's live job on the same host is never touched.
 */
@Injectable()
export class ScratchJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ScratchJanitor');
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), HOUR_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(dir = tmpdir()): Promise<number> {
    const olderThanMs = this.config.AUDIT_TIMEOUT_SECONDS * 1000 + HOUR_MS;
    let removed = 0;
    for (const prefix of WORKER_SCRATCH_PREFIXES) removed += await removeStaleEntries(dir, { olderThanMs, prefix });
    if (removed > 0) this.logger.log(`removed ${removed} scratch folder(s) left by an interrupted job`);
    return removed;
  }
}
