import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { ACTIVE_AUDIT_STATUSES, AuditRecord } from '../../../libs/persistence/src/records';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { ReferenceModelRepository } from '../../../libs/persistence/src/repositories/reference-model.repository';
import { DataVault } from '../../../libs/persistence/src/encryption/data-vault';
import { PostgresReferenceModelStore } from '../../../libs/persistence/src/postgres-reference-model-store';
import { JobName, TrainReferenceModelPayload } from '../../../libs/queue/src/queue-names';
import { AuditChildInputs } from './audit-child-inputs';
import { trainReferenceModelInChild } from './audit-child-process';
import { sandboxOptionsOf } from './model-sandbox';
import { auditTimeLeftMs, auditTimeoutReason } from './audit-deadline';
import { endAuditJobWithError, FinalAuditFailure, HandedBack } from './audit-job-failures';
import { runChildCancellably } from './cancellable-child-run';
import { JobHandler } from './job-handler';
import { REFERENCE_MODELS_PROGRESS_SHARE, referenceModelsPhase } from './reference-model-progress';
import { ShutdownSignal } from './shutdown-signal';

/** How often a job waiting for another job's training of the same model looks again. */
const CLAIM_POLL_INTERVAL_MS = 500;

/**
 * One reference model of an audit (a child job of the audit's flow): trained in a forked process, stored in
 * Postgres under its cache key. Skipped when the key is already stored, so a re-run of a job whose worker
 * died after storing, or a second audit of the same data, trains nothing.
 */
@Injectable()
export class TrainReferenceModelJob implements JobHandler<JobName.TrainReferenceModel> {
  readonly jobName = JobName.TrainReferenceModel as const;
  private readonly logger = new Logger(TrainReferenceModelJob.name);

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(ReferenceModelRepository) private readonly referenceModels: ReferenceModelRepository,
    @Inject(AuditChildInputs) private readonly inputs: AuditChildInputs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ShutdownSignal) private readonly shutdown: ShutdownSignal,
    @Inject(DataVault) private readonly vault: DataVault,
  ) {}

  async handle(job: Job<TrainReferenceModelPayload>, token: string | undefined, signal: AbortSignal): Promise<string> {
    const { auditId } = job.data;
    try {
      return await this.run(job.data, signal);
    } catch (e) {
      // A final failure fails this job, and with it the parent (failParentOnFailure), whose handler then
      // never runs: the audit is failed here.
      return endAuditJobWithError(job, token, e, {
        audits: this.audits,
        logger: this.logger,
        failedMessage: (reason) =>
          `audit ${auditId} failed in reference model ${job.data.mode}/${job.data.m}: ${reason}`,
        infrastructureReason: (attempts) =>
          `a reference model could not be trained after ${attempts} attempts (infrastructure error)`,
        requeueBeforeRetry: false,
      });
    }
  }

  private async run(data: TrainReferenceModelPayload, jobSignal: AbortSignal): Promise<string> {
    const audit = await this.audits.findById(data.auditId);
    if (!audit) return 'audit not found';
    if (!ACTIVE_AUDIT_STATUSES.includes(audit.status)) return `audit already ${audit.status}`;
    if ((await this.referenceModels.storedKeys([data.key])).has(data.key)) {
      await this.reportProgress(audit);
      return 'cached';
    }
    if (!(await this.audits.markRunning(audit.id))) return 'audit no longer active';
    await this.reportProgress(audit);

    // One training per model across audits: the job holding the model's claim trains it; a job of another audit
    // that needs the same model waits for it to land, and trains it itself if the holder gives up without it.
    for (;;) {
      const attempt = await this.referenceModels.withTrainingClaim(
        data.key,
        this.config.WORKER_LOCK_DURATION_MS,
        async () => {
          // Stored while this job waited for the claim: nothing to train.
          if ((await this.referenceModels.storedKeys([data.key])).has(data.key)) return 'cached';
          // The whole audit's time limit (AUDIT_TIMEOUT_SECONDS): the model process gets only what is left of it.
          const timeLeftMs = await auditTimeLeftMs(this.audits, audit.id, this.config.AUDIT_TIMEOUT_SECONDS);
          if (timeLeftMs === null) return 'audit no longer active';
          return this.train(audit, data, jobSignal, timeLeftMs);
        },
      );
      if (attempt.claimed) return attempt.value;
      const waited = await this.waitForOtherTraining(audit.id, data.key, jobSignal);
      if (waited !== 'released') {
        await this.reportProgress(audit);
        return waited;
      }
    }
  }

  /**
   * Another job (of another audit, or a stalled copy of this one) holds the model's claim: waits, polling, until the
   * model is stored ('cached (trained by another job)'), the claim is released without it ('released': the caller
   * claims it and trains), this audit is no longer active or past its deadline, or the job is stopped.
   */
  private async waitForOtherTraining(
    auditId: string,
    key: string,
    jobSignal: AbortSignal,
  ): Promise<'released' | string> {
    for (;;) {
      if (jobSignal.aborted || this.shutdown.stopping) throw new HandedBack();
      await new Promise((r) => setTimeout(r, CLAIM_POLL_INTERVAL_MS));
      if ((await this.referenceModels.storedKeys([key])).has(key)) return 'cached (trained by another job)';
      const left = await auditTimeLeftMs(this.audits, auditId, this.config.AUDIT_TIMEOUT_SECONDS);
      if (left === null) return 'audit no longer active';
      const probe = await this.referenceModels.withTrainingClaim(key, this.config.WORKER_LOCK_DURATION_MS, () =>
        Promise.resolve(undefined),
      );
      if (probe.claimed) return 'released';
    }
  }

  private async train(
    audit: AuditRecord,
    data: TrainReferenceModelPayload,
    jobSignal: AbortSignal,
    timeLeftMs: number,
  ): Promise<string> {
    return runChildCancellably(jobSignal, this.shutdown, (cancel) => ({
      // Other jobs of the audit may hand it back to 'queued' meanwhile; only a finished or cancelled audit stops this one.
      poll: () => {
        void this.audits.findById(audit.id).then(
          (a) => {
            if (a && !ACTIVE_AUDIT_STATUSES.includes(a.status)) cancel();
          },
          () => undefined,
        );
      },
      run: async (signal, childStarted) => {
        const trained = await trainReferenceModelInChild(
          async (scratch) => ({ audit: await this.inputs.of(audit, scratch), mode: data.mode, m: data.m }),
          {
            memoryLimitMb: this.config.AUDIT_CHILD_MEMORY_MB,
            sandbox: sandboxOptionsOf(this.config),
            timeoutMs: timeLeftMs,
            timeoutReason: auditTimeoutReason(this.config.AUDIT_TIMEOUT_SECONDS),
            signal,
            onSpawn: childStarted,
            onProgress: () => undefined,
            // Epochs 'auto' measures the endpoint's fit on the members: those queries count against the budget.
            onQueries: async (queries) => {
              if ((await this.audits.recordQueries(audit.id, queries)) === null)
                throw new Error('over the query budget');
            },
          },
        );
        if (trained.key !== data.key) {
          // The stored data no longer produce the model planned at commission: storing it under either key would lie.
          throw new FinalAuditFailure(
            'REFERENCE_MODEL_KEY_MISMATCH',
            `reference model ${data.mode} ${data.m} of this audit no longer matches its planned data and settings`,
          );
        }
        // Derived from members: sealed under the members dataset's key, linked to every dataset it came from.
        const store = new PostgresReferenceModelStore(
          this.referenceModels,
          this.vault,
          await this.inputs.referenceSealing(audit),
        );
        const inserted = await store.putEncoded(data.key, trained.weights);
        await this.reportProgress(audit);
        return inserted ? 'trained' : 'trained (already stored by another worker)';
      },
    }));
  }

  /** Progress per stored model: stored/total of the reference-model share of the audit's bar. */
  private async reportProgress(audit: AuditRecord): Promise<void> {
    const keys = audit.referenceModelKeys ?? [];
    if (keys.length === 0) return;
    const stored = (await this.referenceModels.storedKeys(keys)).size;
    await this.audits.recordProgress(
      audit.id,
      Math.floor(100 * REFERENCE_MODELS_PROGRESS_SHARE * (stored / keys.length)),
      referenceModelsPhase(stored, keys.length),
    );
  }
}
