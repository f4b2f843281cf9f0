import { TenantDb } from '../tenancy/tenant-db';
import { ReferenceModelRepository } from '../repositories/reference-model.repository';

export class TypeOrmReferenceModelRepository extends ReferenceModelRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async find(cacheKey: string): Promise<Buffer | null> {
    const rows: Array<{ weights: Buffer }> = await this.db.query(
      `SELECT weights FROM reference_models WHERE cache_key = $1`,
      [cacheKey],
    );
    return rows[0]?.weights ?? null;
  }

  async putIfAbsent(cacheKey: string, weights: Buffer): Promise<boolean> {
    // Two workers finishing the same model (a stalled job re-run while the first still ran) store it once.
    const rows: unknown = await this.db.query(
      `INSERT INTO reference_models (cache_key, weights, size_bytes) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, cache_key) DO NOTHING RETURNING cache_key`,
      [cacheKey, weights, weights.length],
    );
    return Array.isArray(rows) && rows.length === 1;
  }

  async storedKeys(cacheKeys: readonly string[]): Promise<Set<string>> {
    if (cacheKeys.length === 0) return new Set();
    const rows: Array<{ cache_key: string }> = await this.db.query(
      `SELECT cache_key FROM reference_models WHERE cache_key = ANY($1::text[])`,
      [[...cacheKeys]],
    );
    return new Set(rows.map((r) => r.cache_key));
  }
}
