import { MigrationInterface, QueryRunner } from 'typeorm';

// AUDIT_TIMEOUT_SECONDS bounds the whole audit: its deadline is recorded (Postgres clock) when its first job starts,
// every job of its flow runs with the time left, and the repair loop fails an active audit past it (AUDIT_TIMEOUT).
export class AuditDeadline1764180000000 implements MigrationInterface {
  name = 'AuditDeadline1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits ADD COLUMN deadline_at timestamptz NULL`);
    await q.query(
      `CREATE INDEX audits_active_deadline ON audits (deadline_at) WHERE status IN ('queued', 'running') AND deadline_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audits_active_deadline`);
    await q.query(`ALTER TABLE audits DROP COLUMN deadline_at`);
  }
}
