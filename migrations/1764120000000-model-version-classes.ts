import { MigrationInterface, QueryRunner } from 'typeorm';

// The classes a model version was declared with at upload: a labels-only model (an integer class-index output)
// cannot say how many classes it has, so the uploader declares the count (`num_classes`) or the names
// (`class_names`, in the model's output order; their count is num_classes). Null = the model's own output width.
export class ModelVersionClasses1764120000000 implements MigrationInterface {
  name = 'ModelVersionClasses1764120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions ADD COLUMN num_classes integer`);
    await q.query(`ALTER TABLE model_versions ADD COLUMN class_names jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions DROP COLUMN class_names`);
    await q.query(`ALTER TABLE model_versions DROP COLUMN num_classes`);
  }
}
