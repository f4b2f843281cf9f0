import { MigrationInterface, QueryRunner } from 'typeorm';
import { makeTenantOwned } from './tenancy';

// Sensitive data at rest and its end (docs/security.md, "Data at rest" and "Deletion"):
// - data_keys: one AES-256 data key per dataset, stored only wrapped by the master key (DATA_ENCRYPTION_KEY), named
//   by the id of the master key that wraps it. Crypto-shredding sets wrapped_key to NULL: the row stays as evidence
//   that the key existed and when it was destroyed, and nothing can decrypt what it sealed.
// - datasets.key_id / blob_sha256: the dataset's file is stored sealed under its key (blob_sha256 = the sealed
//   file's hash in the blob store; sha256 stays the plaintext's, which reports name). NULL for files stored before.
// - reference_models.key_id: weights sealed under the key of the audit's members dataset; reference_model_sources:
//   every dataset a reference model was derived from, so deleting any of them deletes the model. Reference models
//   stored before this migration are plaintext and their sources unknown: they are a cache, so they are dropped
//   (audits retrain them).
// - deletion_receipts: what a DELETE destroyed, append-only (triggers refuse UPDATE, DELETE and TRUNCATE).
// All three tables are tenant-owned (migrations/tenancy.ts): tenant_id, row-level security, same-tenant keys.
export class DataKeysAndDeletionReceipts1764195000000 implements MigrationInterface {
  name = 'DataKeysAndDeletionReceipts1764195000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_keys (
        id uuid PRIMARY KEY,
        wrapped_key bytea,
        master_key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        destroyed_at timestamptz,
        CONSTRAINT data_keys_destroyed_has_no_key CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
      )`);
    await makeTenantOwned(q, 'data_keys');
    await q.query(`ALTER TABLE datasets ADD COLUMN key_id uuid`);
    await q.query(
      `ALTER TABLE datasets ADD CONSTRAINT datasets_key_id_same_tenant FOREIGN KEY (tenant_id, key_id) REFERENCES data_keys (tenant_id, id)`,
    );
    await q.query(`ALTER TABLE datasets ADD COLUMN blob_sha256 char(64)`);
    await q.query(`DELETE FROM reference_models`);
    await q.query(`ALTER TABLE reference_models ADD COLUMN key_id uuid`);
    await q.query(
      `ALTER TABLE reference_models ADD CONSTRAINT reference_models_key_id_same_tenant FOREIGN KEY (tenant_id, key_id) REFERENCES data_keys (tenant_id, id)`,
    );
    await q.query(`
      CREATE TABLE reference_model_sources (
        cache_key text NOT NULL,
        dataset_id uuid NOT NULL
      )`);
    await makeTenantOwned(q, 'reference_model_sources', {
      idColumn: null,
      parents: [{ column: 'dataset_id', table: 'datasets' }],
    });
    await q.query(`ALTER TABLE reference_model_sources ADD PRIMARY KEY (tenant_id, cache_key, dataset_id)`);
    await q.query(
      `ALTER TABLE reference_model_sources ADD CONSTRAINT reference_model_sources_model FOREIGN KEY (tenant_id, cache_key)
         REFERENCES reference_models (tenant_id, cache_key) ON DELETE CASCADE`,
    );
    await q.query(`CREATE INDEX reference_model_sources_dataset ON reference_model_sources (tenant_id, dataset_id)`);
    await q.query(`
      CREATE TABLE deletion_receipts (
        id uuid PRIMARY KEY,
        subject_type text NOT NULL CHECK (subject_type IN ('dataset', 'model', 'model-version', 'audit')),
        subject_id uuid NOT NULL,
        deleted_at timestamptz NOT NULL,
        deleted_by uuid,
        receipt jsonb NOT NULL,
        receipt_sha256 char(64) NOT NULL
      )`);
    await makeTenantOwned(q, 'deletion_receipts');
    await q.query(`CREATE INDEX deletion_receipts_subject ON deletion_receipts (subject_type, subject_id)`);
    await q.query(`
      CREATE FUNCTION deletion_receipts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'deletion_receipts is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER deletion_receipts_no_update_delete BEFORE UPDATE OR DELETE ON deletion_receipts
      FOR EACH ROW EXECUTE FUNCTION deletion_receipts_append_only()`);
    await q.query(`
      CREATE TRIGGER deletion_receipts_no_truncate BEFORE TRUNCATE ON deletion_receipts
      FOR EACH STATEMENT EXECUTE FUNCTION deletion_receipts_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deletion_receipts`);
    await q.query(`DROP FUNCTION deletion_receipts_append_only()`);
    await q.query(`DROP TABLE reference_model_sources`);
    await q.query(`ALTER TABLE reference_models DROP COLUMN key_id`);
    await q.query(`ALTER TABLE datasets DROP COLUMN blob_sha256`);
    await q.query(`ALTER TABLE datasets DROP COLUMN key_id`);
    await q.query(`DROP TABLE data_keys`);
  }
}
