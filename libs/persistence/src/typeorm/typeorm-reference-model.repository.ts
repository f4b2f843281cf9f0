import { TenantDb } from '../tenancy/tenant-db';
import { ReferenceModelRepository } from '../repositories/reference-model.repository';

export class TypeOrmReferenceModelRepository extends ReferenceModelRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async find(cacheKey: string): Promise<{ weights: Buffer; keyId: string | null } | null> {
    const rows: Array<{ weights: Buffer; key_id: string | null }> = await this.db.query(
      `SELECT weights, key_id FROM reference_models WHERE cache_key = $1`,
      [cacheKey],
    );
    return rows[0] ? { weights: rows[0].weights, keyId: rows[0].key_id } : null;
  }

  async putIfAbsent(
    cacheKey: string,
    weights: Buffer,
    sealing?: { readonly keyId: string | null; readonly sources: readonly string[] },
  ): Promise<boolean> {
    // Two workers finishing the same model (a stalled job re-run while the first still ran) store it once.
    return this.db.run(async (m) => {
      const rows: unknown = await m.query(
        `INSERT INTO reference_models (cache_key, weights, size_bytes, key_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, cache_key) DO NOTHING RETURNING cache_key`,
        [cacheKey, weights, weights.length, sealing?.keyId ?? null],
      );
      const inserted = Array.isArray(rows) && rows.length === 1;
      if (inserted && sealing && sealing.sources.length > 0)
        await m.query(
          `INSERT INTO reference_model_sources (cache_key, dataset_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
          [cacheKey, [...new Set(sealing.sources)]],
        );
      return inserted;
    });
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
