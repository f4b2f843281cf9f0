// Retention (docs/security.md, "Retention"): one pass over every tenant deletes what is past its retention period,
// through the same code as the DELETE routes (DataDeletion: keys destroyed, unreferenced blobs removed, a
// receipt written), each receipt marked reason 'retention'. Safe with several replicas and after a crash halfway:
// - a tenant is purged by one process at a time (a Postgres advisory lock; another process skips it);
// - every deletion is its own transaction that locks its row first, so a deletion done twice finds nothing the
//   second time (404, counted as skipped), and a pass cut short leaves the rest to the next pass;
// - what became active meanwhile (an audit commissioned on an old dataset) is refused by the deletion (409) and
//   kept. Logs say counts per tenant, never a data value.
import type { LoggerService } from '@nestjs/common';
import type { DataLifecycleRepository } from '../../../../libs/persistence/src/repositories/data-lifecycle.repository';
import type { TenantRepository } from '../../../../libs/persistence/src/repositories/tenant.repository';
import { runInTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';
import { ServiceError, ServiceErrorCode } from '../http/service-error';
import type { DataDeletion } from '../deletion/data-deletion';

/** What one tenant's purge did. */
export interface TenantPurgeOutcome {
  readonly tenantId: string;
  readonly retentionDays: number;
  readonly audits: number;
  readonly datasets: number;
  /** Expired when listed, then gone (deleted by someone else) or in use (kept) by the time of its deletion. */
  readonly skipped: number;
  /** Another process held the tenant's lock: nothing was done here. */
  readonly busy: boolean;
  /** More expired items than one pass takes: the next pass continues. */
  readonly more: boolean;
}

export interface RetentionPassOutcome {
  /** Tenants with a retention period (their own or the installation's). */
  readonly tenants: TenantPurgeOutcome[];
  /** Tenants whose purge stopped on an error (logged); the next pass tries again. */
  readonly failed: string[];
  readonly audits: number;
  readonly datasets: number;
}

export class RetentionPurge {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly lifecycle: DataLifecycleRepository,
    private readonly deletions: DataDeletion,
    /** TENANT_RETENTION_DAYS: the period of tenants without their own; undefined = kept until deleted. */
    private readonly defaultDays: number | undefined,
    private readonly logger: Pick<LoggerService, 'log' | 'warn'>,
    /** At most this many audits and this many datasets per tenant and pass. */
    private readonly batch = 200,
  ) {}

  async runPass(): Promise<RetentionPassOutcome> {
    const outcomes: TenantPurgeOutcome[] = [];
    const failed: string[] = [];
    for (const t of await this.tenants.listRetention()) {
      const days = t.retentionDays ?? this.defaultDays;
      if (days === undefined) continue;
      try {
        outcomes.push(await this.purgeTenant(t.id, days));
      } catch (e) {
        // One tenant's failure (Postgres gone away, a file that cannot be removed...) does not hold up the others;
        // what was deleted stays deleted, the rest is due again at the next pass.
        this.logger.warn(`retention: the purge of tenant ${t.id} stopped: ${(e as Error).message}`);
        failed.push(t.id);
      }
    }
    return {
      tenants: outcomes,
      failed,
      audits: outcomes.reduce((n, o) => n + o.audits, 0),
      datasets: outcomes.reduce((n, o) => n + o.datasets, 0),
    };
  }

  async purgeTenant(tenantId: string, retentionDays: number): Promise<TenantPurgeOutcome> {
    const done = await this.lifecycle.withRetentionLock(tenantId, () =>
      runInTenant(tenantId, async () => {
        const how = { reason: 'retention' as const, retentionDays };
        let skipped = 0;
        // Audits first (one receipt each), then datasets (with whatever old audits still use them).
        const audits = await this.lifecycle.expiredAudits(retentionDays, this.batch);
        let deletedAudits = 0;
        for (const id of audits) {
          if (await this.attempt(() => this.deletions.deleteAudit(id, null, how))) deletedAudits++;
          else skipped++;
        }
        const datasets = await this.lifecycle.expiredDatasets(retentionDays, this.batch);
        let deletedDatasets = 0;
        for (const id of datasets) {
          if (await this.attempt(() => this.deletions.deleteDataset(id, null, how))) deletedDatasets++;
          else skipped++;
        }
        return {
          audits: deletedAudits,
          datasets: deletedDatasets,
          skipped,
          more: audits.length === this.batch || datasets.length === this.batch,
        };
      }),
    );
    const outcome: TenantPurgeOutcome =
      done === null
        ? { tenantId, retentionDays, audits: 0, datasets: 0, skipped: 0, busy: true, more: false }
        : { tenantId, retentionDays, ...done, busy: false };
    if (outcome.busy) this.logger.log(`retention: tenant ${tenantId} is being purged by another process; skipped`);
    else if (outcome.audits + outcome.datasets + outcome.skipped > 0 || outcome.more)
      this.logger.log(
        `retention: tenant ${tenantId} (${retentionDays} days): ${outcome.audits} audit(s) and ${outcome.datasets} ` +
          `dataset(s) deleted, ${outcome.skipped} skipped (in use or already gone)` +
          (outcome.more ? '; more remain for the next pass' : ''),
      );
    return outcome;
  }

  /** True when deleted; false when it is gone already or in use now (both are fine: the next pass looks again). */
  private async attempt(del: () => Promise<unknown>): Promise<boolean> {
    try {
      await del();
      return true;
    } catch (e) {
      if (
        e instanceof ServiceError &&
        (e.code === ServiceErrorCode.NotFound || e.code === ServiceErrorCode.ResourceInUse)
      )
        return false;
      throw e;
    }
  }
}
