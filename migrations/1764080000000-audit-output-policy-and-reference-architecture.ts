import { MigrationInterface, QueryRunner } from 'typeorm';

// What the audited API is taken to answer (output policy: 'labels', 'top-k:<k>', 'round:<d>') and the
// architecture of an audit's reference models (hidden widths, activation: part of their cache keys). All
// optional: null = full scores / mirrored from the target or the engine's default.
export class AuditOutputPolicyAndReferenceArchitecture1764080000000 implements MigrationInterface {
  name = 'AuditOutputPolicyAndReferenceArchitecture1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits ADD COLUMN output_policy text`);
    await q.query(`ALTER TABLE audits ADD COLUMN reference_hidden jsonb`);
    await q.query(`ALTER TABLE audits ADD COLUMN reference_activation text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP COLUMN reference_activation`);
    await q.query(`ALTER TABLE audits DROP COLUMN reference_hidden`);
    await q.query(`ALTER TABLE audits DROP COLUMN output_policy`);
  }
}
