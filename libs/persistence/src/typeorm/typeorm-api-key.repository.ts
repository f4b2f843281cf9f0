import { Repository } from 'typeorm';
import type { TenantDb, TenantScopedRepository } from '../tenancy/tenant-db';
import { ApiKeyEntity } from '../entities';
import type { ApiKeyRecord } from '../records';
import { ApiKeyRepository, type NewApiKey } from '../repositories/api-key.repository';

// "Active": not revoked and not past its expiry, judged by the database clock so that every api replica agrees.
const ACTIVE = 'k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())';

export class TypeOrmApiKeyRepository extends ApiKeyRepository {
  private readonly keys: TenantScopedRepository<ApiKeyEntity>;
  /** Installation-wide: authentication finds a key (and so its tenant) by prefix before any tenant is known. */
  private readonly allKeys: Repository<ApiKeyEntity>;
  constructor(private readonly db: TenantDb) {
    super();
    this.keys = db.repository(ApiKeyEntity);
    this.allKeys = db.installation.getRepository(ApiKeyEntity);
  }

  async create(input: NewApiKey): Promise<ApiKeyRecord> {
    const saved = await this.keys.save(
      this.keys.create({
        ...input,
        expiresAt: input.expiresAt ?? null,
        revokedAt: null,
        lastUsedAt: null,
        rotatedTo: null,
      }),
    );
    return toRecord(saved);
  }

  async findActiveByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const found = await this.allKeys
      .createQueryBuilder('k')
      .where('k.prefix = :prefix', { prefix })
      .andWhere(ACTIVE)
      .getOne();
    return found ? toRecord(found) : null;
  }

  async findActiveForAuthentication(
    prefix: string,
  ): Promise<{ record: ApiKeyRecord; secondsToExpiry: number | null } | null> {
    const { entities, raw } = await this.allKeys
      .createQueryBuilder('k')
      .addSelect('EXTRACT(EPOCH FROM (k.expires_at - now()))::float8', 'seconds_to_expiry')
      .where('k.prefix = :prefix', { prefix })
      .andWhere(ACTIVE)
      .getRawAndEntities<{ seconds_to_expiry: number | null }>();
    const found = entities[0];
    if (!found) return null;
    const seconds = raw[0]?.seconds_to_expiry;
    return {
      record: toRecord(found),
      secondsToExpiry: seconds === null || seconds === undefined ? null : Number(seconds),
    };
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const found = await this.keys.findOne({ where: { id } });
    return found ? toRecord(found) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.keys.find({ order: { createdAt: 'DESC' } })).map(toRecord);
  }

  async revoke(id: string): Promise<ApiKeyRecord | null> {
    await this.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
    return this.findById(id);
  }

  async rotate(id: string, replacement: NewApiKey, overlapSeconds: number): Promise<ApiKeyRecord | null> {
    return this.db.run(async (em) => {
      const keys = em.getRepository(ApiKeyEntity);
      const old = await keys
        .createQueryBuilder('k')
        .setLock('pessimistic_write')
        .where('k.id = :id', { id })
        .andWhere(ACTIVE)
        .getOne();
      if (!old) return null;
      const created = await keys.save(
        keys.create({
          ...replacement,
          expiresAt: replacement.expiresAt ?? null,
          revokedAt: null,
          lastUsedAt: null,
          rotatedTo: null,
        }),
      );
      // The overlap never extends a key's life: an earlier expiry stays (LEAST ignores a NULL expiry).
      await em.query(
        `UPDATE api_keys SET expires_at = LEAST(expires_at, now() + make_interval(secs => $2::double precision)),
           rotated_to = $3 WHERE id = $1`,
        [id, overlapSeconds, created.id],
      );
      return toRecord(created);
    });
  }

  async countOtherActiveAdmins(exceptId: string): Promise<number> {
    return this.db.run((em) =>
      em
        .getRepository(ApiKeyEntity)
        .createQueryBuilder('k')
        .where("k.role = 'admin' AND k.id <> :exceptId", { exceptId })
        .andWhere(ACTIVE)
        .getCount(),
    );
  }

  async touch(id: string, at: Date): Promise<void> {
    // Bookkeeping of authentication, before the request's tenant scope: installation-wide, by id.
    await this.allKeys.update({ id }, { lastUsedAt: at });
  }

  async markInstallationAdmin(id: string): Promise<void> {
    await this.db.installation.query(`UPDATE api_keys SET installation_admin = true WHERE id = $1`, [id]);
  }
}

function toRecord(e: ApiKeyEntity): ApiKeyRecord {
  return {
    id: e.id,
    name: e.name,
    role: e.role as ApiKeyRecord['role'],
    prefix: e.prefix,
    hash: e.hash,
    createdAt: e.createdAt,
    revokedAt: e.revokedAt,
    expiresAt: e.expiresAt,
    lastUsedAt: e.lastUsedAt,
    rotatedTo: e.rotatedTo,
    tenantId: e.tenantId,
    installationAdmin: e.installationAdmin,
  };
}
