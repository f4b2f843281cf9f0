import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import type { AttackId } from '../../../libs/engine/src/types';
import { BlobStore } from '../../../libs/persistence/src/blob-store/blob-store';
import { AuditRecord, AuditStatus, DatasetRecord } from '../../../libs/persistence/src/records';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { DatasetRepository } from '../../../libs/persistence/src/repositories/dataset.repository';
import { ModelRepository } from '../../../libs/persistence/src/repositories/model.repository';
import { JobName, RunMembershipAuditPayload } from '../../../libs/queue/src/queue-names';
import type { AuditChildInput } from './audit-child-messages';
import { AuditChildFailure, runAuditInChild } from './audit-child-process';
import { JobHandler } from './job-handler';
import { ShutdownSignal } from './shutdown-signal';

const PROGRESS_WRITE_INTERVAL_MS = 1000;
const CANCEL_POLL_INTERVAL_MS = 1000;

/** Failures that retrying cannot fix: the audit is failed and the job ends (UnrecoverableError). */
class FinalAuditFailure extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

@Injectable()
export class RunMembershipAuditJob implements JobHandler<JobName.RunMembershipAudit> {
  readonly jobName = JobName.RunMembershipAudit as const;
  private readonly logger = new Logger(RunMembershipAuditJob.name);

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(DatasetRepository) private readonly datasets: DatasetRepository,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ShutdownSignal) private readonly shutdown: ShutdownSignal,
  ) {}

  async handle(job: Job<RunMembershipAuditPayload>, token: string | undefined, signal: AbortSignal): Promise<string> {
    const { auditId } = job.data;
    try {
      return await this.run(auditId, signal);
    } catch (e) {
      if (e instanceof FinalAuditFailure) {
        await this.audits.markFailed(auditId, { code: e.code, reason: e.reason });
        this.logger.warn(`audit ${auditId} failed: ${e.reason}`);
        throw new UnrecoverableError(e.reason);
      }
      if (e instanceof HandedBack) {
        // Shutting down with the audit unfinished: back to the queue for another worker, no attempt used.
        await this.audits.requeue(auditId, 'handed back by a stopping worker');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      // Infrastructure failure (database, Redis, file system): BullMQ retries with backoff.
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        await this.audits.markFailed(auditId, { code: 'AUDIT_INFRASTRUCTURE_FAILURE', reason: `the audit could not run after ${attempts} attempts (infrastructure error)` }).catch(() => false);
      } else {
        await this.audits.requeue(auditId, 'retrying after an infrastructure error').catch(() => false);
      }
      throw e;
    }
  }

  private async run(auditId: string, jobSignal: AbortSignal): Promise<string> {
    const audit = await this.audits.findById(auditId);
    if (!audit) return 'audit not found';
    // A cancelled or already finished audit (a duplicate or retried job) has nothing left to do.
    if (!(await this.audits.markRunning(auditId))) return `audit already ${audit.status}`;
    const input = await this.childInput(audit);

    const abort = new AbortController();
    let cancelled = false;
    const onJobAbort = () => abort.abort();
    jobSignal.addEventListener('abort', onJobAbort);
    const progress = new ThrottledProgress(this.audits, auditId, (status) => {
      if (status !== AuditStatus.Running && !cancelled) {
        cancelled = true;
        abort.abort();
      }
    });
    const poll = setInterval(() => progress.checkStatus(), CANCEL_POLL_INTERVAL_MS);
    try {
      const report = await runAuditInChild(input, {
        memoryLimitMb: this.config.AUDIT_CHILD_MEMORY_MB,
        timeoutMs: this.config.AUDIT_TIMEOUT_SECONDS * 1000,
        signal: abort.signal,
        onProgress: (phase, fraction) => progress.report(phase, fraction),
      });
      await progress.flushed();
      const stored = await this.audits.completeWithReport(auditId, report);
      return stored ? 'succeeded' : 'finished but the audit was no longer running (cancelled)';
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

  private async childInput(audit: AuditRecord): Promise<AuditChildInput> {
    const version = await this.models.findVersion(audit.modelVersionId);
    if (!version) throw new FinalAuditFailure('AUDIT_INPUT_MISSING', 'the model version of this audit no longer exists');
    const members = await this.dataset(audit.membersDatasetId);
    const nonMembers = await this.dataset(audit.nonMembersDatasetId);
    const population = audit.populationDatasetId ? await this.dataset(audit.populationDatasetId) : undefined;
    const file = (d: DatasetRecord) => ({ path: this.blobs.localPath(d.sha256), name: `${d.name}.csv` });
    for (const sha256 of [version.sha256, members.sha256, nonMembers.sha256, ...(population ? [population.sha256] : [])]) {
      // Missing blob on this machine: a shared-volume problem, worth a retry elsewhere.
      if (!(await this.blobs.exists(sha256))) throw new Error(`stored file ${sha256.slice(0, 12)}... is not available to this worker`);
    }
    return {
      modelPath: this.blobs.localPath(version.sha256),
      members: file(members),
      nonMembers: file(nonMembers),
      ...(population ? { population: file(population) } : {}),
      labelColumn: members.labelColumn,
      ...(members.idColumn ? { idColumn: members.idColumn } : {}),
      ...(audit.attacks ? { attacks: audit.attacks as AttackId[] } : {}),
      seed: audit.seed,
      ...(audit.referenceModels ? { referenceModels: audit.referenceModels } : {}),
      maxModelBytes: this.config.MAX_MODEL_BYTES,
    };
  }

  private async dataset(id: string): Promise<DatasetRecord> {
    const d = await this.datasets.findById(id);
    if (!d) throw new FinalAuditFailure('AUDIT_INPUT_MISSING', `dataset ${id} of this audit no longer exists`);
    return d;
  }
}

class HandedBack extends Error {}

/** Writes progress at most once a second (and on every phase change), one write at a time. */
class ThrottledProgress {
  private lastWrite = 0;
  private lastPhase = '';
  private pending: { phase: string; fraction: number } | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly audits: AuditRepository,
    private readonly auditId: string,
    private readonly onStatus: (status: AuditStatus | null) => void,
  ) {}

  report(phase: string, fraction: number): void {
    this.pending = { phase, fraction };
    const now = Date.now();
    if (phase !== this.lastPhase || now - this.lastWrite >= PROGRESS_WRITE_INTERVAL_MS) this.write();
  }

  checkStatus(): void {
    if (this.pending) this.write();
    else this.chain = this.chain.then(async () => this.onStatus((await this.audits.findById(this.auditId))?.status ?? null)).catch(() => undefined);
  }

  flushed(): Promise<void> {
    return this.chain;
  }

  private write(): void {
    const next = this.pending;
    if (!next) return;
    this.pending = null;
    this.lastWrite = Date.now();
    this.lastPhase = next.phase;
    // Below 100: 100 is written only with the report, in the same transaction.
    const percent = Math.min(99, Math.floor(next.fraction * 100));
    this.chain = this.chain
      .then(async () => this.onStatus(await this.audits.recordProgress(this.auditId, percent, next.phase)))
      .catch(() => undefined);
  }
}
