import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { ApiKeyRole, type TenantRecord } from '../../../../libs/persistence/src/records';
import { AuditRepository } from '../../../../libs/persistence/src/repositories/audit.repository';
import {
  TenantNameTakenError,
  TenantRepository,
} from '../../../../libs/persistence/src/repositories/tenant.repository';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../auth/api-key-secret';
import { ServiceError, ServiceErrorCode } from '../http/service-error';

export interface TenantQuotas {
  readonly referenceSecondsPerMonth: number;
  readonly queriesPerMonth: number;
}

/** The first instant of the current calendar month, UTC: quotas count from it. */
export function monthStartUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

@Injectable()
export class TenantService {
  constructor(
    @Inject(TenantRepository) private readonly tenants: TenantRepository,
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Installation admin: a new tenant and its first admin key, shown once. */
  async create(
    name: string,
    referenceSecondsPerMonth: number | null,
    queriesPerMonth: number | null,
    retentionDays: number | null = null,
  ) {
    const key = generateApiKey();
    try {
      const { tenant, keyId } = await this.tenants.createWithAdminKey(
        { name, referenceSecondsPerMonth, queriesPerMonth, retentionDays },
        { name: `${name} admin`, role: ApiKeyRole.Admin, prefix: apiKeyPrefix(key) as string, hash: hashApiKey(key) },
      );
      return { ...this.describe(tenant), adminKey: { id: keyId, role: ApiKeyRole.Admin, key } };
    } catch (e) {
      if (e instanceof TenantNameTakenError) {
        throw new ServiceError(ServiceErrorCode.TenantNameTaken, `a tenant named '${name}' exists`);
      }
      throw e;
    }
  }

  /** The caller's tenant with its quotas and this month's usage. */
  async current() {
    const tenant = await this.tenants.current();
    if (!tenant) throw new ServiceError(ServiceErrorCode.NotFound, 'tenant not found');
    const since = monthStartUtc();
    const used = await this.audits.tenantUsageSince(since);
    return { ...this.describe(tenant), usage: { since, ...used } };
  }

  /** The tenant's admin sets its own retention period (null: back to the installation's default). */
  async setRetention(retentionDays: number | null) {
    const tenant = await this.tenants.setRetentionDays(retentionDays);
    if (!tenant) throw new ServiceError(ServiceErrorCode.NotFound, 'tenant not found');
    return this.current();
  }

  /** The current tenant's quotas (its own, else the installation's defaults). */
  async quotas(): Promise<TenantQuotas> {
    const tenant = await this.tenants.current();
    return this.quotasOf(tenant);
  }

  private quotasOf(tenant: TenantRecord | null): TenantQuotas {
    return {
      referenceSecondsPerMonth: tenant?.referenceSecondsPerMonth ?? this.config.TENANT_REFERENCE_SECONDS_PER_MONTH,
      queriesPerMonth: tenant?.queriesPerMonth ?? this.config.TENANT_QUERIES_PER_MONTH,
    };
  }

  private describe(tenant: TenantRecord) {
    return {
      id: tenant.id,
      name: tenant.name,
      createdAt: tenant.createdAt,
      quotas: this.quotasOf(tenant),
      ...effectiveRetention(tenant.retentionDays, this.config.TENANT_RETENTION_DAYS),
    };
  }
}

/**
 * A tenant's retention: its own period, else the installation's (TENANT_RETENTION_DAYS); null days = kept until
 * deleted. `retentionSource` says which applies.
 */
export function effectiveRetention(
  own: number | null,
  installationDefault: number | undefined,
): { retentionDays: number | null; retentionSource: 'tenant' | 'installation' } {
  return own !== null
    ? { retentionDays: own, retentionSource: 'tenant' }
    : { retentionDays: installationDefault ?? null, retentionSource: 'installation' };
}
