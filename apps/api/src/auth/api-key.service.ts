import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { ApiKeyRecord, ApiKeyRole } from '../../../../libs/persistence/src/records';
import { ApiKeyRepository } from '../../../../libs/persistence/src/repositories/api-key.repository';
import { apiKeyMatches, apiKeyPrefix, generateApiKey, hashApiKey } from './api-key-secret';

export interface AuthenticatedCaller {
  readonly keyId: string;
  readonly role: ApiKeyRole;
}

@Injectable()
export class ApiKeyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyService.name);

  constructor(
    @Inject(ApiKeyRepository) private readonly keys: ApiKeyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Inserts the configured bootstrap admin key (hashed) unless it is already there. */
  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.PRIVAUDIT_BOOTSTRAP_ADMIN_KEY;
    if (!key) return;
    const prefix = apiKeyPrefix(key);
    if (!prefix) {
      throw new Error(
        'PRIVAUDIT_BOOTSTRAP_ADMIN_KEY must be 32-512 characters of A-Z a-z 0-9 _ - . ~ (generate one with: openssl rand -hex 32)',
      );
    }
    const existing = await this.keys.findActiveByPrefix(prefix);
    if (existing) return;
    try {
      await this.keys.create({ name: 'bootstrap admin', role: ApiKeyRole.Admin, prefix, hash: hashApiKey(key) });
      this.logger.log('inserted the bootstrap admin API key');
    } catch (e) {
      // Two api replicas starting together: the other one inserted it.
      if (!(await this.keys.findActiveByPrefix(prefix))) throw e;
    }
  }

  async authenticate(key: string): Promise<AuthenticatedCaller | null> {
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const record = await this.keys.findActiveByPrefix(prefix);
    if (!record || !apiKeyMatches(key, record.hash)) return null;
    return { keyId: record.id, role: record.role };
  }

  /** Creates a key; the clear key is returned once and never stored. */
  async issue(name: string, role: ApiKeyRole): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = generateApiKey();
    const record = await this.keys.create({ name, role, prefix: apiKeyPrefix(key) as string, hash: hashApiKey(key) });
    return { record, key };
  }
}
