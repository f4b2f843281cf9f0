import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { ApiKeyRecord, ApiKeyRole } from '../../../../libs/persistence/src/records';
import { ApiKeyRepository } from '../../../../libs/persistence/src/repositories/api-key.repository';
import { DEFAULT_TENANT_ID, runInTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { ApiKeyChanges } from '../../../../libs/persistence/src/api-key-changes';
import { ApiKeyEpoch } from '../../../../libs/queue/src/api-key-epoch';
import { ApiKeyCache } from './api-key-cache';
import { apiKeyHashMatches, apiKeyMatches, apiKeyPrefix, generateApiKey, hashApiKey } from './api-key-secret';

export interface AuthenticatedCaller {
  readonly keyId: string;
  readonly role: ApiKeyRole;
  /** The key's tenant: the request sees that tenant's rows only. */
  readonly tenantId: string;
  /** The bootstrap key: may create tenants. */
  readonly installationAdmin: boolean;
}

/** What the api shows of a key: never its hash, never the key itself (shown once, at creation). */
export interface ApiKeySummary {
  readonly id: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly prefix: string;
  readonly status: 'active' | 'revoked' | 'expired';
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly rotatedTo: string | null;
}

/** lastUsedAt is written at most this often per key: not one database write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function summarizeApiKey(record: ApiKeyRecord, now = new Date()): ApiKeySummary {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    prefix: record.prefix,
    status: record.revokedAt ? 'revoked' : record.expiresAt && record.expiresAt <= now ? 'expired' : 'active',
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    lastUsedAt: record.lastUsedAt,
    rotatedTo: record.rotatedTo,
  };
}

@Injectable()
export class ApiKeyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyService.name);

  /** Authenticated keys, reused for API_KEY_CACHE_SECONDS unless api_keys changes (api-key-cache.ts). */
  private readonly cache: ApiKeyCache;

  constructor(
    @Inject(ApiKeyRepository) private readonly keys: ApiKeyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ApiKeyChanges) changes: ApiKeyChanges,
    @Inject(ApiKeyEpoch) private readonly epoch: ApiKeyEpoch,
  ) {
    this.cache = new ApiKeyCache(config.API_KEY_CACHE_SECONDS * 1000, () => changes.isLive());
    changes.subscribe(() => this.cache.invalidate());
  }

  /**
   * Inserts the configured bootstrap admin key (hashed) unless that very key is already there: the whole key's
   * hash is compared, not only its prefix, so a different key sharing the prefix never passes for it.
   */
  async onApplicationBootstrap(): Promise<void> {
    // The bootstrap key belongs to the default tenant (which holds every row from before tenants).
    await runInTenant(DEFAULT_TENANT_ID, () => this.insertBootstrapKey());
  }

  private async insertBootstrapKey(): Promise<void> {
    const key = this.config.PRIVAUDIT_BOOTSTRAP_ADMIN_KEY;
    if (!key) return;
    const prefix = apiKeyPrefix(key);
    if (!prefix) {
      throw new Error(
        'PRIVAUDIT_BOOTSTRAP_ADMIN_KEY must be 32-512 characters of A-Z a-z 0-9 _ - . ~ (generate one with: openssl rand -hex 32)',
      );
    }
    const matchesConfigured = (record: ApiKeyRecord | null | undefined) =>
      record !== null && record !== undefined && apiKeyMatches(key, record.hash);
    const existing = (await this.keys.list()).find((k) => k.prefix === prefix);
    if (existing && !matchesConfigured(existing)) {
      throw new Error(
        'PRIVAUDIT_BOOTSTRAP_ADMIN_KEY starts with the same 12 characters as another stored API key; configure a different key',
      );
    }
    if (existing) {
      if (summarizeApiKey(existing).status !== 'active') {
        this.logger.warn('the configured bootstrap admin key is revoked or expired; it does not authenticate');
      }
      if (!existing.installationAdmin) await this.keys.markInstallationAdmin(existing.id);
      return;
    }
    try {
      const created = await this.keys.create({
        name: 'bootstrap admin',
        role: ApiKeyRole.Admin,
        prefix,
        hash: hashApiKey(key),
      });
      await this.keys.markInstallationAdmin(created.id);
      this.logger.log('inserted the bootstrap admin API key');
    } catch (e) {
      // Two api replicas starting together: the other one inserted it.
      if (!matchesConfigured((await this.keys.list()).find((k) => k.prefix === prefix))) throw e;
    }
  }

  /**
   * The caller a key authenticates, or null. `known`: what this request already worked out (auth/request-key-facts.ts):
   * the key's sha256, and the key-change epoch read for this request after it arrived (else it is read here).
   */
  async authenticate(
    key: string,
    known: { readonly keyHash?: string; readonly epoch?: string } = {},
  ): Promise<AuthenticatedCaller | null> {
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const keyHash = known.keyHash ?? hashApiKey(key);
    // A cached answer is trusted only under the current key-change epoch (api-key-cache.ts): one Redis round trip,
    // unless the rate limiter's round trip for this request read it.
    const epoch = known.epoch ?? (await this.epoch.read());
    const cached = this.cache.get(keyHash, epoch);
    if (cached) return cached;
    const lookup = this.cache.beginLookup(epoch);
    const found = await this.keys.findActiveForAuthentication(prefix);
    if (!found || !apiKeyHashMatches(keyHash, found.record.hash)) return null;
    const { record } = found;
    const now = new Date();
    // lastUsedAt is refreshed on lookups only: a cached key is looked up again at least every
    // API_KEY_CACHE_SECONDS (at most 60), well within the resolution.
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      void this.keys.touch(record.id, now).catch(() => undefined); // bookkeeping only: never fails a request
    }
    const caller: AuthenticatedCaller = {
      keyId: record.id,
      role: record.role,
      tenantId: record.tenantId,
      installationAdmin: record.installationAdmin,
    };
    this.cache.put(lookup, keyHash, caller, found.secondsToExpiry);
    return caller;
  }

  /** Creates a key; the clear key is returned once and never stored. */
  async issue(name: string, role: ApiKeyRole, expiresAt?: Date): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = generateApiKey();
    const record = await this.keys.create({
      name,
      role,
      prefix: apiKeyPrefix(key) as string,
      hash: hashApiKey(key),
      ...(expiresAt ? { expiresAt } : {}),
    });
    return { record, key };
  }

  async list(): Promise<ApiKeySummary[]> {
    const now = new Date();
    return (await this.keys.list()).map((k) => summarizeApiKey(k, now));
  }

  /** Revokes a key at once (its next request gets 401). The last active admin key cannot be revoked. */
  async revoke(id: string): Promise<ApiKeySummary> {
    const record = foundOrNotFound(await this.keys.findById(id), `API key ${id}`);
    if (summarizeApiKey(record).status === 'active' && record.role === ApiKeyRole.Admin) {
      await this.assertAnotherAdmin(id, 'revoked');
    }
    const revoked = foundOrNotFound(await this.keys.revoke(id), `API key ${id}`);
    // This replica forgets the key before answering; the others as soon as they read the moved epoch.
    this.cache.invalidate();
    await this.moveEpoch();
    return summarizeApiKey(revoked);
  }

  /**
   * Replaces a key by a new one with the same name and role; the old key keeps working for `overlapSeconds` so
   * that clients can switch over, then expires. The new key is returned once.
   */
  async rotate(
    id: string,
    overlapSeconds: number,
  ): Promise<{ record: ApiKeyRecord; key: string; previous: ApiKeySummary }> {
    const old = foundOrNotFound(await this.keys.findById(id), `API key ${id}`);
    if (summarizeApiKey(old).status !== 'active') {
      throw new ServiceError(
        ServiceErrorCode.ApiKeyNotActive,
        `API key ${id} is ${summarizeApiKey(old).status}; issue a new key instead`,
      );
    }
    const key = generateApiKey();
    const record = await this.keys.rotate(
      id,
      {
        name: old.name,
        role: old.role,
        prefix: apiKeyPrefix(key) as string,
        hash: hashApiKey(key),
        expiresAt: old.expiresAt,
      },
      overlapSeconds,
    );
    this.cache.invalidate(); // the old key's expiry moved (the other replicas: the epoch)
    await this.moveEpoch();
    if (!record) throw new ServiceError(ServiceErrorCode.ApiKeyNotActive, `API key ${id} is no longer active`);
    const previous = summarizeApiKey(foundOrNotFound(await this.keys.findById(id), `API key ${id}`));
    return { record, key, previous };
  }

  /**
   * Moves the key-change epoch after a committed change. If Redis refuses, the change stands (it is committed) and
   * the other replicas still drop their caches on Postgres's notification, within moments rather than at once.
   */
  private async moveEpoch(): Promise<void> {
    try {
      await this.epoch.bump();
    } catch (e) {
      this.logger.warn(
        `could not move the API-key change epoch in Redis (${e instanceof Error ? e.message : 'error'}); other api replicas drop their key caches on the database notification instead`,
      );
    }
  }

  private async assertAnotherAdmin(id: string, what: string): Promise<void> {
    if ((await this.keys.countOtherActiveAdmins(id)) === 0) {
      throw new ServiceError(
        ServiceErrorCode.LastAdminKey,
        `API key ${id} is the last active admin key and cannot be ${what}; create another admin key first`,
      );
    }
  }
}
