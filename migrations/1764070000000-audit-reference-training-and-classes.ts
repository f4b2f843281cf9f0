import { MigrationInterface, QueryRunner } from 'typeorm';

// How an audit's reference models are trained (epochs, learning rate, batch size, L2: part of their cache
// keys) and the class names of string labels in the model's output order. Both optional: null = defaults /
// labels are class indices.
export class AuditReferenceTrainingAndClasses1764070000000 implements MigrationInterface {
  name = 'AuditReferenceTrainingAndClasses1764070000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits ADD COLUMN reference_training jsonb`);
    await q.query(`ALTER TABLE audits ADD COLUMN classes jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP COLUMN classes`);
    await q.query(`ALTER TABLE audits DROP COLUMN reference_training`);
  }
}
