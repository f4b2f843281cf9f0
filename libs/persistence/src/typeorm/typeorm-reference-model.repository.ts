import { DataSource } from 'typeorm';
import { ReferenceModelRepository } from '../repositories/reference-model.repository';

export class TypeOrmReferenceModelRepository extends ReferenceModelRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async find(cacheKey: string): Promise<Buffer | null> {
    const rows: Array<{ weights: Buffer }> = await this.dataSource.query(
      `SELECT weights FROM reference_models WHERE cache_key = $1`,
      [cacheKey],
    );
    return rows[0]?.weights ?? null;
  }

  async putIfAbsent(cacheKey: string, weights: Buffer): Promise<boolean> {
    // Two workers finishing the same model (a stalled job re-run while the first still ran) store it once.
    const rows: unknown = await this.dataSource.query(
      `INSERT INTO reference_models (cache_key, weights, size_bytes) VALUES ($1, $2, $3) ON CONFLICT (cache_key) DO NOTHING RETURNING cache_key`,
      [cacheKey, weights, weights.length],
    );
    return Array.isArray(rows) && rows.length === 1;
  }

  async storedKeys(cacheKeys: readonly string[]): Promise<Set<string>> {
    if (cacheKeys.length === 0) return new Set();
    const rows: Array<{ cache_key: string }> = await this.dataSource.query(
      `SELECT cache_key FROM reference_models WHERE cache_key = ANY($1::text[])`,
      [[...cacheKeys]],
    );
    return new Set(rows.map((r) => r.cache_key));
  }

  async withTrainingClaim<T>(
    cacheKey: string,
    train: () => Promise<T>,
  ): Promise<{ claimed: true; value: T } | { claimed: false }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // Namespaced so no other advisory lock of the schema's users can collide with a model's.
      const lock = [`privaudit.reference-model:${cacheKey}`];
      const got: Array<{ claimed: boolean }> = await runner.query(
        `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS claimed`,
        lock,
      );
      if (got[0]?.claimed !== true) return { claimed: false };
      try {
        return { claimed: true, value: await train() };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, lock).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }
}
