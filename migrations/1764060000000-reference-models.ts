import { MigrationInterface, QueryRunner } from 'typeorm';

// Trained reference models, shared by every audit and worker (keyed by the engine's cache key, which
// covers the data, architecture, training options, mode, seed, K and index), and what an audit was
// priced at when it was commissioned.
export class ReferenceModels1764060000000 implements MigrationInterface {
  name = 'ReferenceModels1764060000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reference_models (
        cache_key text PRIMARY KEY CHECK (cache_key ~ '^[0-9a-f]{16,128}$'),
        weights bytea NOT NULL,
        size_bytes int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE audits ADD COLUMN group_column text`);
    await q.query(`ALTER TABLE audits ADD COLUMN estimate jsonb`);
    await q.query(`ALTER TABLE audits ADD COLUMN reference_model_keys jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP COLUMN reference_model_keys`);
    await q.query(`ALTER TABLE audits DROP COLUMN estimate`);
    await q.query(`ALTER TABLE audits DROP COLUMN group_column`);
    await q.query(`DROP TABLE reference_models`);
  }
}
