import type { TenantDb } from '../tenancy/tenant-db';
import { DataKeyRepository, type StoredDataKey } from '../repositories/data-key.repository';

interface Row {
  id: string;
  wrapped_key: Buffer | null;
  master_key_id: string;
  created_at: Date;
  destroyed_at: Date | null;
}

const toKey = (r: Row): StoredDataKey => ({
  id: r.id,
  wrappedKey: r.wrapped_key,
  masterKeyId: r.master_key_id,
  createdAt: r.created_at,
  destroyedAt: r.destroyed_at,
});

/**
 * create / find run in the current tenant (row-level security); the rotation's list and re-wrap are installation
 * work across every tenant (`npm run data-keys:rewrap`), so they use the installation connection.
 */
export class TypeOrmDataKeyRepository extends DataKeyRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async create(input: { id: string; wrappedKey: Buffer; masterKeyId: string }): Promise<void> {
    await this.db.query(`INSERT INTO data_keys (id, wrapped_key, master_key_id) VALUES ($1, $2, $3)`, [
      input.id,
      input.wrappedKey,
      input.masterKeyId,
    ]);
  }

  async find(id: string): Promise<StoredDataKey | null> {
    const rows: Row[] = await this.db.query(`SELECT * FROM data_keys WHERE id = $1`, [id]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async listWrappedUnderOther(masterKeyId: string, limit: number): Promise<StoredDataKey[]> {
    const rows: Row[] = await this.db.installation.query(
      `SELECT * FROM data_keys WHERE wrapped_key IS NOT NULL AND master_key_id <> $1 ORDER BY created_at, id LIMIT $2`,
      [masterKeyId, limit],
    );
    return rows.map(toKey);
  }

  async rewrap(id: string, from: string, to: { wrappedKey: Buffer; masterKeyId: string }): Promise<boolean> {
    const rows: unknown[] = await this.db.installation.query(
      `UPDATE data_keys SET wrapped_key = $3, master_key_id = $4
         WHERE id = $1 AND master_key_id = $2 AND wrapped_key IS NOT NULL RETURNING id`,
      [id, from, to.wrappedKey, to.masterKeyId],
    );
    // pg returns [rows, count] for UPDATE ... RETURNING through TypeORM's query()
    const returned = Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
    return returned.length === 1;
  }
}
