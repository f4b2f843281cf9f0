import type { ApiKeyRecord, ApiKeyRole } from '../records';

/** Stored API keys. Abstract class = injection token; the TypeORM class is one implementation. */
export abstract class ApiKeyRepository {
  abstract create(input: { name: string; role: ApiKeyRole; prefix: string; hash: string }): Promise<ApiKeyRecord>;
  abstract findActiveByPrefix(prefix: string): Promise<ApiKeyRecord | null>;
}
