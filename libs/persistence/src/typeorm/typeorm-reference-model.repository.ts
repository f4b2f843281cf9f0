import { randomUUID } from 'node:crypto';
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

  async withTrainingClaim<T>(
    cacheKey: string,
    leaseMs: number,
    train: () => Promise<T>,
  ): Promise<{ claimed: true; value: T } | { claimed: false }> {
    const holder = randomUUID();
    // Installation-wide table (it holds no data: a key and a lease), each claim named by its tenant too, so tenants
    // never wait on, nor learn of, one another's training.
    const tenant: Array<{ t: string | null }> = await this.db.query(
      `SELECT current_setting('app.tenant_id', true) AS t`,
    );
    const claimKey = `${tenant[0]?.t ?? ''}:${cacheKey}`;
    const installation = this.db.installation;
    // Taken when free, or when the holder's lease ran out (by the database's clock: no skew between workers).
    const taken = rowsOf(
      await installation.query(
        `INSERT INTO reference_model_claims (cache_key, holder, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
         ON CONFLICT (cache_key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
           WHERE reference_model_claims.expires_at < now()
         RETURNING holder`,
        [claimKey, holder, leaseMs],
      ),
    );
    if (taken.length !== 1) return { claimed: false };
    const renew = setInterval(
      () =>
        void installation
          .query(
            `UPDATE reference_model_claims SET expires_at = now() + make_interval(secs => $3::double precision / 1000)
             WHERE cache_key = $1 AND holder = $2`,
            [claimKey, holder, leaseMs],
          )
          .catch(() => undefined), // a missed renewal only lets another job take over after the lease
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    try {
      return { claimed: true, value: await train() };
    } finally {
      clearInterval(renew);
      await installation
        .query(`DELETE FROM reference_model_claims WHERE cache_key = $1 AND holder = $2`, [claimKey, holder])
        .catch(() => undefined); // left behind, it expires with its lease
    }
  }
}

function rowsOf(result: unknown): unknown[] {
  // INSERT ... RETURNING answers [rows, count] through some drivers' paths, rows through others.
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as unknown[];
  return Array.isArray(result) ? result : [];
}
