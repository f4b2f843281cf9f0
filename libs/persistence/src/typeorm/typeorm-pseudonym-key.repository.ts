import type { EntityManager } from 'typeorm';
import {
  type NewPseudonymKey,
  PseudonymKeyRepository,
  type PseudonymKeyRecord,
} from '../repositories/pseudonym-key.repository';
import type { TenantDb } from '../tenancy/tenant-db';

interface Row {
  id: string;
  data_key_id: string;
  key_id: string;
  pseudonymize_by_default: boolean;
  created_by: string | null;
  created_at: Date;
}

const COLUMNS = 'id, data_key_id, key_id, pseudonymize_by_default, created_by, created_at';

const toRecord = (r: Row): PseudonymKeyRecord => ({
  id: r.id,
  dataKeyId: r.data_key_id,
  keyId: r.key_id,
  pseudonymizeByDefault: r.pseudonymize_by_default,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** Every statement runs in the current tenant (TenantDb, row-level security). */
export class TypeOrmPseudonymKeyRepository extends PseudonymKeyRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  async current(): Promise<PseudonymKeyRecord | null> {
    const rows: Row[] = await this.db.query(`SELECT ${COLUMNS} FROM tenant_pseudonym_keys`);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  replace(next: NewPseudonymKey): Promise<PseudonymKeyRecord | null> {
    return this.db.run(async (em) => {
      const previous = await this.removeIn(em);
      await em.query(
        `INSERT INTO tenant_pseudonym_keys (id, data_key_id, key_id, pseudonymize_by_default, created_by)
         VALUES ($1, $2, $3, $4, $5)`,
        [next.id, next.dataKeyId, next.keyId, next.pseudonymizeByDefault, next.createdBy],
      );
      return previous;
    });
  }

  async setDefault(pseudonymizeByDefault: boolean): Promise<PseudonymKeyRecord | null> {
    const rows: unknown[] = await this.db.query(
      `UPDATE tenant_pseudonym_keys SET pseudonymize_by_default = $1 RETURNING ${COLUMNS}`,
      [pseudonymizeByDefault],
    );
    // pg returns [rows, count] for UPDATE ... RETURNING through TypeORM's query()
    const returned = (Array.isArray(rows[0]) ? rows[0] : rows) as Row[];
    return returned[0] ? toRecord(returned[0]) : null;
  }

  remove(): Promise<PseudonymKeyRecord | null> {
    return this.db.run((em) => this.removeIn(em));
  }

  private async removeIn(em: EntityManager): Promise<PseudonymKeyRecord | null> {
    const rows: unknown[] = await em.query(`DELETE FROM tenant_pseudonym_keys RETURNING ${COLUMNS}`);
    const deleted = (Array.isArray(rows[0]) ? rows[0] : rows) as Row[];
    const previous = deleted[0] ? toRecord(deleted[0]) : null;
    if (previous) {
      await em.query(
        `UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() WHERE id = $1 AND wrapped_key IS NOT NULL`,
        [previous.dataKeyId],
      );
    }
    return previous;
  }
}
