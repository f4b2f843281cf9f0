import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities';
import type { ApiKeyRecord, ApiKeyRole } from '../records';
import { ApiKeyRepository } from '../repositories/api-key.repository';

export class TypeOrmApiKeyRepository extends ApiKeyRepository {
  private readonly keys: Repository<ApiKeyEntity>;
  constructor(dataSource: DataSource) {
    super();
    this.keys = dataSource.getRepository(ApiKeyEntity);
  }

  async create(input: { name: string; role: ApiKeyRole; prefix: string; hash: string }): Promise<ApiKeyRecord> {
    const saved = await this.keys.save(this.keys.create({ ...input, revokedAt: null }));
    return toRecord(saved);
  }

  async findActiveByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const found = await this.keys.findOne({ where: { prefix, revokedAt: IsNull() } });
    return found ? toRecord(found) : null;
  }
}

function toRecord(e: ApiKeyEntity): ApiKeyRecord {
  return {
    id: e.id,
    name: e.name,
    role: e.role as ApiKeyRole,
    prefix: e.prefix,
    hash: e.hash,
    createdAt: e.createdAt,
    revokedAt: e.revokedAt,
  };
}
