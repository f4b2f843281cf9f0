import { MigrationInterface, QueryRunner } from 'typeorm';
import { makeTenantOwned, undoTenantOwned } from './tenancy';

// Pseudonymised row ids (docs/security.md, "Pseudonymised row ids"): a tenant's pseudonym key, at most one per
// tenant. The key itself is a data key (data_keys: stored only wrapped by the master key, re-wrapped by
// `npm run data-keys:rewrap`, crypto-shredded when replaced or removed); this row names it, records its public id
// (key_id: "psk_" + a hash of the key, what reports show) and whether the tenant's audits pseudonymise by default.
// No table maps ids to pseudonyms: the service never stores the mapping.
export class TenantPseudonymKeys1764202000000 implements MigrationInterface {
  name = 'TenantPseudonymKeys1764202000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_pseudonym_keys (
        id uuid PRIMARY KEY,
        data_key_id uuid NOT NULL,
        key_id text NOT NULL,
        pseudonymize_by_default boolean NOT NULL DEFAULT false,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await makeTenantOwned(q, 'tenant_pseudonym_keys', { parents: [{ column: 'data_key_id', table: 'data_keys' }] });
    await q.query(`CREATE UNIQUE INDEX tenant_pseudonym_keys_one_per_tenant ON tenant_pseudonym_keys (tenant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await undoTenantOwned(q, 'tenant_pseudonym_keys');
    await q.query(`DROP TABLE tenant_pseudonym_keys`);
  }
}
