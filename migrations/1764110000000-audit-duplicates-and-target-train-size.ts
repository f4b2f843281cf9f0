import { MigrationInterface, QueryRunner } from 'typeorm';

// How an audit treats identical records under different ids ('exclude' or 'keep'; null = the engine's default,
// 'exclude') and the target's declared training-set size (reference models train on sets of that size; null =
// the member count). Both part of what the audit measures, so stored with it. `duplicate_records` holds what a
// finished audit found (the report's data.duplicates), so the audit resource shows it without the report.
export class AuditDuplicatesAndTargetTrainSize1764110000000 implements MigrationInterface {
  name = 'AuditDuplicatesAndTargetTrainSize1764110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits ADD COLUMN duplicates text`);
    await q.query(`ALTER TABLE audits ADD COLUMN target_train_size integer`);
    await q.query(`ALTER TABLE audits ADD COLUMN duplicate_records jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP COLUMN duplicate_records`);
    await q.query(`ALTER TABLE audits DROP COLUMN target_train_size`);
    await q.query(`ALTER TABLE audits DROP COLUMN duplicates`);
  }
}
