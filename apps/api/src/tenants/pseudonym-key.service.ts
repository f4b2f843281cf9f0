// A tenant's pseudonym key (docs/security.md, "Pseudonymised row ids"). The tenant's admin sets it (PUT, a key
// they generated and keep) or has one generated (POST, shown in that answer only). The service keeps it only
// sealed, as a data key wrapped by the master key, because its workers must compute the HMACs; it never shows it
// again, never logs it and stores no id -> pseudonym table. Replacing or removing it destroys the old data key:
// reports made under it keep its pseudonyms, named by its keyId, and only the tenant's own copy can map them.
import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isEngineError } from '../../../../libs/engine/src/errors';
import { parsePseudonymKey, pseudonymKeyId } from '../../../../libs/engine/src/data/row-id-pseudonyms';
import { DataVault } from '../../../../libs/persistence/src/encryption/data-vault';
import {
  PseudonymKeyRepository,
  type PseudonymKeyRecord,
} from '../../../../libs/persistence/src/repositories/pseudonym-key.repository';
import { TenantDb } from '../../../../libs/persistence/src/tenancy/tenant-db';
import { ServiceError, ServiceErrorCode } from '../http/service-error';

/** The service's keys are exactly 32 bytes (64 hex digits): they are stored as data keys. */
export const SERVICE_PSEUDONYM_KEY_HEX_DIGITS = 64;

export function pseudonymKeyResource(k: PseudonymKeyRecord) {
  return {
    /** Names the key in reports (data.pseudonymizedIds.keyId); a hash, never the key. */
    keyId: k.keyId,
    scheme: 'hmac-sha256-128' as const,
    pseudonymizeByDefault: k.pseudonymizeByDefault,
    createdAt: k.createdAt,
  };
}

@Injectable()
export class PseudonymKeyService {
  constructor(
    @Inject(PseudonymKeyRepository) private readonly keys: PseudonymKeyRepository,
    @Inject(DataVault) private readonly vault: DataVault,
    @Inject(TenantDb) private readonly db: TenantDb,
  ) {}

  async current(): Promise<PseudonymKeyRecord> {
    const key = await this.keys.current();
    if (!key) throw new ServiceError(ServiceErrorCode.NotFound, 'this tenant has no pseudonym key');
    return key;
  }

  /** Stores `keyHex` (the admin's own) or a new random key; resolves with the record and the generated key, if any. */
  async set(
    keyHex: string | undefined,
    pseudonymizeByDefault: boolean,
    createdBy: string | null,
  ): Promise<{ record: PseudonymKeyRecord; generatedKey: string | null }> {
    const key = keyHex !== undefined ? this.parse(keyHex) : randomBytes(32);
    if (!this.vault.configured)
      throw new ServiceError(
        ServiceErrorCode.DataEncryptionUnavailable,
        'DATA_ENCRYPTION_KEY is not set: a pseudonym key is stored only encrypted, so none can be set (docs/security.md)',
      );
    const id = randomUUID();
    await this.db.run(async () => {
      const dataKeyId = await this.vault.storeKey(key);
      await this.keys.replace({ id, dataKeyId, keyId: pseudonymKeyId(key), pseudonymizeByDefault, createdBy });
    });
    const record = await this.current();
    return { record, generatedKey: keyHex === undefined ? key.toString('hex') : null };
  }

  async setDefault(pseudonymizeByDefault: boolean): Promise<PseudonymKeyRecord> {
    const record = await this.keys.setDefault(pseudonymizeByDefault);
    if (!record) throw new ServiceError(ServiceErrorCode.NotFound, 'this tenant has no pseudonym key');
    return record;
  }

  async remove(): Promise<PseudonymKeyRecord> {
    const removed = await this.keys.remove();
    if (!removed) throw new ServiceError(ServiceErrorCode.NotFound, 'this tenant has no pseudonym key');
    return removed;
  }

  /**
   * Whether an audit pseudonymises its row ids: as asked, else the tenant's default. Asking for it without a key is
   * a 422 naming the field.
   */
  async resolveForAudit(requested: boolean | undefined): Promise<boolean> {
    const key = await this.keys.current();
    const wanted = requested ?? key?.pseudonymizeByDefault ?? false;
    if (wanted && !key) {
      throw new ServiceError(
        ServiceErrorCode.PseudonymKeyMissing,
        "pseudonymizeIds needs the tenant's pseudonym key: an admin sets it with PUT or POST /tenants/current/pseudonym-key",
        { field: 'pseudonymizeIds' },
      );
    }
    return wanted;
  }

  private parse(keyHex: string): Buffer {
    try {
      const key = parsePseudonymKey(keyHex, 'key');
      if (key.length * 2 !== SERVICE_PSEUDONYM_KEY_HEX_DIGITS) {
        throw new ServiceError(
          ServiceErrorCode.ValidationFailed,
          `key: the service takes a key of exactly 32 bytes (${SERVICE_PSEUDONYM_KEY_HEX_DIGITS} hex digits: openssl rand -hex 32); it has ${key.length}`,
          { field: 'key' },
        );
      }
      return key;
    } catch (e) {
      if (isEngineError(e)) throw new ServiceError(ServiceErrorCode.ValidationFailed, e.message, { field: 'key' });
      throw e;
    }
  }
}
