import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import type { KeyObject } from 'node:crypto';
import { APP_CONFIG } from '../../../libs/config/src/config.module';
import { REPORT_SIGNING_KEY } from '../../../libs/config/src/report-signing-key';
import { DISTRIBUTED_MODELS_PER_GRAPH } from '../../../libs/engine/src/training/reference-model-jobs';
import { FileReferenceModelStore } from '../../../libs/engine/src/training/reference-model-store';
import { PostgresReferenceModelStore } from '../../../libs/persistence/src/postgres-reference-model-store';
import { DataVault } from '../../../libs/persistence/src/encryption/data-vault';
import { AuditRecord, AuditStatus } from '../../../libs/persistence/src/records';
import { AuditRepository } from '../../../libs/persistence/src/repositories/audit.repository';
import { ReferenceModelRepository } from '../../../libs/persistence/src/repositories/reference-model.repository';
import { reportContentSha256, signReport } from '../../../libs/reports/src/index';
import { JobName, RunMembershipAuditPayload } from '../../../libs/queue/src/queue-names';
import { AuditChildInputs } from './audit-child-inputs';
import type { AuditChildInput } from './audit-child-messages';
import { collectAuditArtifacts } from './audit-artifacts';
import { BlobStore } from '../../../libs/persistence/src/blob-store/blob-store';
import { runAuditInChild } from './audit-child-process';
import { sandboxOptionsOf } from './model-sandbox';
import { auditTimeLeftMs, auditTimeoutReason } from './audit-deadline';
import { endAuditJobWithError } from './audit-job-failures';
import { runChildCancellably } from './cancellable-child-run';
import { JobHandler } from './job-handler';
import { REFERENCE_MODELS_PROGRESS_SHARE } from './reference-model-progress';
import { ShutdownSignal } from './shutdown-signal';

const PROGRESS_WRITE_INTERVAL_MS = 1000;

@Injectable()
export class RunMembershipAuditJob implements JobHandler<JobName.RunMembershipAudit> {
  readonly jobName = JobName.RunMembershipAudit as const;
  private readonly logger = new Logger(RunMembershipAuditJob.name);

  constructor(
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(ReferenceModelRepository) private readonly referenceModels: ReferenceModelRepository,
    @Inject(AuditChildInputs) private readonly inputs: AuditChildInputs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ShutdownSignal) private readonly shutdown: ShutdownSignal,
    @Inject(REPORT_SIGNING_KEY) private readonly signingKey: KeyObject | null,
    @Inject(DataVault) private readonly vault: DataVault,
    @Inject(BlobStore) private readonly blobs: BlobStore,
  ) {}

  async handle(job: Job<RunMembershipAuditPayload>, token: string | undefined, signal: AbortSignal): Promise<string> {
    const { auditId } = job.data;
    try {
      return await this.run(auditId, signal);
    } catch (e) {
      return endAuditJobWithError(job, token, e, {
        audits: this.audits,
        logger: this.logger,
        failedMessage: (reason) => `audit ${auditId} failed: ${reason}`,
        infrastructureReason: (attempts) => `the audit could not run after ${attempts} attempts (infrastructure error)`,
        requeueBeforeRetry: true,
      });
    }
  }

  private async run(auditId: string, jobSignal: AbortSignal): Promise<string> {
    const audit = await this.audits.findById(auditId);
    if (!audit) return 'audit not found';
    // A cancelled or already finished audit (a duplicate or retried job) has nothing left to do.
    if (!(await this.audits.markRunning(auditId))) return `audit already ${audit.status}`;
    // The whole audit's time limit (its reference-model jobs already spent part of it): the child gets what is left.
    const timeLeftMs = await auditTimeLeftMs(this.audits, auditId, this.config.AUDIT_TIMEOUT_SECONDS);
    if (timeLeftMs === null) return 'audit no longer active';
    return this.runChild(audit, jobSignal, timeLeftMs);
  }

  private async runChild(audit: AuditRecord, jobSignal: AbortSignal, timeLeftMs: number): Promise<string> {
    const auditId = audit.id;
    const usesStoredModels = (audit.referenceModelKeys?.length ?? 0) > 0;
    // The child writes the surrogate and MI-Face reconstructions here; they are stored with the report.
    const artifactsDir = await mkdtemp(join(tmpdir(), 'privaudit-artifacts-'));
    // Made inside the child's scratch directory (removed with it): the opened datasets, and, when the
    // reference-model jobs (this job's children in the flow) have stored every model in Postgres, those models
    // as a cache directory, so runAudit trains nothing.
    const input = async (scratch: string): Promise<AuditChildInput> => ({
      ...(await this.inputs.of(audit, scratch)),
      ...(await this.inputs.pseudonymKeyOf(audit)),
      ...(usesStoredModels
        ? {
            referenceCacheDir: await this.materialiseReferenceModels(audit, scratch),
            modelsPerGraph: DISTRIBUTED_MODELS_PER_GRAPH,
          }
        : {}),
      artifactsDir,
    });
    try {
      return await this.runChildWith(auditId, input, usesStoredModels, artifactsDir, jobSignal, timeLeftMs);
    } finally {
      await rm(artifactsDir, { recursive: true, force: true });
    }
  }

  private runChildWith(
    auditId: string,
    input: (scratch: string) => Promise<AuditChildInput>,
    usesStoredModels: boolean,
    artifactsDir: string,
    jobSignal: AbortSignal,
    timeLeftMs: number,
  ): Promise<string> {
    return runChildCancellably(jobSignal, this.shutdown, (cancel) => {
      const progress = new ThrottledProgress(
        this.audits,
        auditId,
        usesStoredModels ? REFERENCE_MODELS_PROGRESS_SHARE : 0,
        (status) => {
          if (status !== AuditStatus.Running) cancel();
        },
      );
      return {
        poll: () => progress.checkStatus(),
        run: async (signal, childStarted) => {
          const report = await runAuditInChild(input, {
            memoryLimitMb: this.config.AUDIT_CHILD_MEMORY_MB,
            sandbox: sandboxOptionsOf(this.config),
            timeoutMs: timeLeftMs,
            timeoutReason: auditTimeoutReason(this.config.AUDIT_TIMEOUT_SECONDS),
            signal,
            onSpawn: childStarted,
            onProgress: (phase, fraction) => progress.report(phase, fraction),
            onQueries: async (queries) => {
              if ((await this.audits.recordQueries(auditId, queries)) === null)
                throw new Error('over the query budget');
            },
          });
          await progress.flushed();
          // Signed here, in the worker that stores it: the report never exists in Postgres unsigned when a key is set.
          const finalReport = this.signingKey ? signReport(report, this.signingKey) : report;
          const { artifacts, skipped } = await collectAuditArtifacts(
            artifactsDir,
            this.blobs,
            this.config.MAX_MODEL_BYTES,
          );
          if (skipped.length > 0) this.logger.warn(`audit ${auditId}: artefacts left out: ${skipped.join('; ')}`);
          const stored = await this.audits.completeWithReport(
            auditId,
            finalReport,
            reportContentSha256(finalReport),
            artifacts,
          );
          return stored ? 'succeeded' : 'finished but the audit was no longer running (cancelled)';
        },
      };
    });
  }

  private async materialiseReferenceModels(audit: AuditRecord, scratch: string): Promise<string> {
    const dir = join(scratch, 'reference-models');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const files = new FileReferenceModelStore(dir);
    const stored = new PostgresReferenceModelStore(this.referenceModels, this.vault);
    let missing = 0;
    for (const key of audit.referenceModelKeys ?? []) {
      const weights = await stored.get(key);
      if (weights) await files.put(key, weights);
      else missing++;
    }
    // Not expected (children store every model first); the audit then trains the missing ones itself.
    if (missing > 0)
      this.logger.warn(`audit ${audit.id}: ${missing} reference models were not stored; training them in the audit`);
    return dir;
  }
}

/** Writes progress at most once a second (and on every phase change), one write at a time. */
class ThrottledProgress {
  private lastWrite = 0;
  private lastPhase = '';
  private pending: { phase: string; fraction: number } | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly audits: AuditRepository,
    private readonly auditId: string,
    /** Share of the progress bar already filled by the reference-model jobs. */
    private readonly base: number,
    private readonly onStatus: (status: AuditStatus | null) => void,
  ) {}

  report(phase: string, fraction: number): void {
    this.pending = { phase, fraction };
    const now = Date.now();
    if (phase !== this.lastPhase || now - this.lastWrite >= PROGRESS_WRITE_INTERVAL_MS) this.write();
  }

  checkStatus(): void {
    if (this.pending) this.write();
    else
      this.chain = this.chain
        .then(async () => this.onStatus((await this.audits.findById(this.auditId))?.status ?? null))
        .catch(() => undefined);
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
    const percent = Math.min(99, Math.floor((this.base + (1 - this.base) * next.fraction) * 100));
    this.chain = this.chain
      .then(async () => this.onStatus(await this.audits.recordProgress(this.auditId, percent, next.phase)))
      .catch(() => undefined);
  }
}
