import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { EngineError, EngineErrorCode } from '../../../../libs/engine/src/errors';
import {
  type EngineCheckArgs,
  type EngineCheckName,
  type EngineCheckOutcome,
  type EngineCheckResult,
  unwrapEngineCheck,
} from './engine-check-tasks';

/**
 * The compiled thread entry. From dist it is the sibling file; from sources (tests) the same path under dist/,
 * so `npm run build` must have run (as for the worker's model process).
 */
export function resolveEngineCheckEntry(): string {
  const sibling = join(__dirname, 'engine-check.worker.js');
  if (__filename.endsWith('.js') && existsSync(sibling)) return sibling;
  const compiled = resolve(__dirname, '../../../../dist/apps/api/src/engine-checks/engine-check.worker.js');
  if (existsSync(compiled)) return compiled;
  throw new Error(`engine check thread entry not found at ${compiled}: run \`npm run build\` first`);
}

/**
 * The api's check threads (piscina worker threads, CHECK_THREADS of them, each with a heap of CHECK_THREAD_MEMORY_MB):
 * upload validation and audit planning decode up to MAX_MODEL_BYTES of protobuf and read whole CSVs, so they run
 * here and the event loop keeps answering other requests (bench/api-responsiveness.ts measures it).
 */
@Injectable()
export class EngineCheckPool implements OnModuleDestroy {
  private readonly pool: Piscina;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.pool = new Piscina({
      filename: resolveEngineCheckEntry(),
      minThreads: 1,
      maxThreads: config.CHECK_THREADS,
      // Idle threads beyond the first are stopped; the first stays warm (the engine's modules loaded).
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: config.CHECK_THREAD_MEMORY_MB },
      // Node's warnings, not the thread's data: never the upload's content.
      env: {},
    });
  }

  async run<K extends EngineCheckName>(name: K, args: EngineCheckArgs<K>): Promise<EngineCheckResult<K>> {
    let outcome: EngineCheckOutcome<EngineCheckResult<K>>;
    try {
      outcome = (await this.pool.run({ name, args })) as EngineCheckOutcome<EngineCheckResult<K>>;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new EngineError(
          EngineErrorCode.ModelResourceLimit,
          `checking the ${name === 'audit' ? 'audit request' : `uploaded ${name === 'model' ? 'model file' : 'dataset'}`} needed more memory than the api's check threads may use (CHECK_THREAD_MEMORY_MB=${this.config.CHECK_THREAD_MEMORY_MB})`,
        );
      }
      throw e;
    }
    return unwrapEngineCheck(outcome);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.destroy();
  }
}
