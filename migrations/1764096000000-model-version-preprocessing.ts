import { MigrationInterface, QueryRunner } from 'typeorm';

// A model version's preprocessing spec (raw tables: string categories, missing cells): its bytes live in the
// blob store under their sha256; this column holds that hash and what the spec encodes (raw columns, model
// inputs, label column and classes). Optional: null = the version's audits take already-numeric data.
export class ModelVersionPreprocessing1764096000000 implements MigrationInterface {
  name = 'ModelVersionPreprocessing1764096000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions ADD COLUMN preprocessing jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions DROP COLUMN preprocessing`);
  }
}
