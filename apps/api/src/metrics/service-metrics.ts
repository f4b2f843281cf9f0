import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { AuditRepository } from '../../../../libs/persistence/src/repositories/audit.repository';
import { DatabaseStatus } from '../../../../libs/persistence/src/repositories/database-status';
import { AuditQueue } from '../../../../libs/queue/src/audit-queue';
import { QueueName } from '../../../../libs/queue/src/queue-names';

/** Bounds (seconds) of the audit-duration histogram: a loss-only audit takes seconds, LiRA with many models hours. */
export const AUDIT_DURATION_BUCKETS: readonly number[] = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600];

/**
 * The Prometheus metrics of /metrics. Every figure is computed at scrape time from where the truth lives
 * (Postgres for audits, BullMQ for jobs), so any api replica answers the same and nothing is lost when a
 * worker restarts; the worker pushes nothing. Audit durations and failures are therefore over the audits
 * still stored, which only grow: scraped as a histogram and gauges, they rate() like counters.
 */
@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();

  constructor(
    @Inject(AuditRepository) audits: AuditRepository,
    @Inject(DatabaseStatus) database: DatabaseStatus,
    @Inject(AuditQueue) queue: AuditQueue,
  ) {
    new Gauge({
      name: 'privaudit_audits',
      help: 'Audits by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        for (const [status, n] of Object.entries(await audits.countByStatus())) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'privaudit_queue_jobs',
      help: 'BullMQ jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const [state, n] of Object.entries(await queue.jobCounts()))
          this.set({ queue: QueueName.Audits, state }, n);
      },
    });
    new Gauge({
      name: 'privaudit_audit_failures',
      help: 'Failed audits by failure code (AUDIT_JOB_STALLED, AUDIT_PROCESS_CRASHED, ...)',
      labelNames: ['code'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { code, count } of await database.failuresByCode()) this.set({ code }, count);
      },
    });
    new Gauge({
      name: 'privaudit_reference_models',
      help: 'Reference models stored in Postgres (each trained once, then reused)',
      registers: [this.registry],
      async collect() {
        this.set(await database.referenceModelsStored());
      },
    });
    new Gauge({
      name: 'privaudit_retention_deletions',
      help: 'Datasets and audits deleted by the retention purge, by subject type (each with its receipt; only grows)',
      labelNames: ['subject'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const subject of ['dataset', 'audit']) this.set({ subject }, 0);
        for (const { subjectType, count } of await database.retentionDeletions())
          this.set({ subject: subjectType }, count);
      },
    });
    this.registry.registerMetric(
      new ScrapedHistogram(
        'privaudit_audit_duration_seconds',
        'Time from start to end of finished audits, by final status',
        AUDIT_DURATION_BUCKETS,
        () => database.auditDurations(AUDIT_DURATION_BUCKETS),
      ) as never,
    );
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * A histogram whose buckets are counted by the database at scrape time (prom-client's Histogram only
 * observes values one by one in this process). Printed in the standard histogram text format.
 */
class ScrapedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    private readonly read: () => Promise<Array<{ status: string; le: readonly number[]; sum: number; count: number }>>,
  ) {}

  async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const row of await this.read()) {
      this.buckets.forEach((bound, i) =>
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { status: row.status, le: bound },
          value: row.le[i] ?? 0,
        }),
      );
      values.push({ metricName: `${this.name}_bucket`, labels: { status: row.status, le: '+Inf' }, value: row.count });
      values.push({ metricName: `${this.name}_sum`, labels: { status: row.status }, value: row.sum });
      values.push({ metricName: `${this.name}_count`, labels: { status: row.status }, value: row.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}
