import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { ACTIVE_AUDIT_STATUSES, AuditRecord } from '../../../libs/persistence/src/records';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { ReferenceModelRepository } from '../../../libs/persistence/src/repositories/reference-model.repository';
import { JobName, TrainReferenceModelPayload } from '../../../libs/queue/src/queue-names';
import { AuditChildInputs } from './audit-child-inputs';
import { AuditChildFailure, trainReferenceModelInChild } from './audit-child-process';
import { FinalAuditFailure, HandedBack } from './audit-job-failures';
import { JobHandler } from './job-handler';
import { REFERENCE_MODELS_PROGRESS_SHARE, referenceModelsPhase } from './reference-model-progress';
import { ShutdownSignal } from './shutdown-signal';

const CANCEL_POLL_INTERVAL_MS = 1000;

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
  ) {}

  async handle(job: Job<TrainReferenceModelPayload>, token: string | undefined, signal: AbortSignal): Promise<string> {
    const { auditId } = job.data;
    try {
      return await this.run(job.data, signal);
    } catch (e) {
      if (e instanceof FinalAuditFailure) {
        // Failing this job fails the parent (failParentOnFailure), whose handler then never runs: fail the audit here.
        await this.audits.markFailed(auditId, { code: e.code, reason: e.reason });
        this.logger.warn(`audit ${auditId} failed in reference model ${job.data.mode}/${job.data.m}: ${e.reason}`);
        throw new UnrecoverableError(e.reason);
      }
      if (e instanceof HandedBack) {
        await this.audits.requeue(auditId, 'handed back by a stopping worker');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        await this.audits
          .markFailed(auditId, { code: 'AUDIT_INFRASTRUCTURE_FAILURE', reason: `a reference model could not be trained after ${attempts} attempts (infrastructure error)` })
          .catch(() => false);
      }
      throw e;
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

    const abort = new AbortController();
    let cancelled = false;
    const onJobAbort = () => abort.abort();
    jobSignal.addEventListener('abort', onJobAbort);
    // Other jobs of the audit may hand it back to 'queued' meanwhile; only a finished or cancelled audit stops this one.
    const poll = setInterval(() => {
      void this.audits.findById(audit.id).then(
        (a) => {
          if (a && !ACTIVE_AUDIT_STATUSES.includes(a.status) && !cancelled) {
            cancelled = true;
            abort.abort();
          }
        },
        () => undefined,
      );
    }, CANCEL_POLL_INTERVAL_MS);
    try {
      const trained = await trainReferenceModelInChild(
        { audit: await this.inputs.of(audit), mode: data.mode, m: data.m },
        {
          memoryLimitMb: this.config.AUDIT_CHILD_MEMORY_MB,
          timeoutMs: this.config.AUDIT_TIMEOUT_SECONDS * 1000,
          signal: abort.signal,
          onProgress: () => undefined,
        },
      );
      if (trained.key !== data.key) {
        // The stored data no longer produce the model planned at commission: storing it under either key would lie.
        throw new FinalAuditFailure('REFERENCE_MODEL_KEY_MISMATCH', `reference model ${data.mode} ${data.m} of this audit no longer matches its planned data and settings`);
      }
      const inserted = await this.referenceModels.putIfAbsent(data.key, trained.weights);
      await this.reportProgress(audit);
      return inserted ? 'trained' : 'trained (already stored by another worker)';
    } catch (e) {
      if (!(e instanceof AuditChildFailure)) throw e;
      if (e.kind === 'aborted') {
        if (cancelled) return 'cancelled';
        if (this.shutdown.stopping) throw new HandedBack();
      }
      throw new FinalAuditFailure(e.code, e.reason);
    } finally {
      clearInterval(poll);
      jobSignal.removeEventListener('abort', onJobAbort);
    }
  }

  /** Progress per stored model: stored/total of the reference-model share of the audit's bar. */
  private async reportProgress(audit: AuditRecord): Promise<void> {
    const keys = audit.referenceModelKeys ?? [];
    if (keys.length === 0) return;
    const stored = (await this.referenceModels.storedKeys(keys)).size;
    await this.audits.recordProgress(audit.id, Math.floor(100 * REFERENCE_MODELS_PROGRESS_SHARE * (stored / keys.length)), referenceModelsPhase(stored, keys.length));
  }
}
