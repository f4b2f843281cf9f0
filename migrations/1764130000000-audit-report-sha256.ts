import { MigrationInterface, QueryRunner } from 'typeorm';

// Tamper evidence: the sha256 of a succeeded audit's report (canonical JSON without its signature, as
// libs/reports/src/report-signature.ts computes it), written in the transaction that stores the report. A report
// later altered in the jsonb column, or a file handed around, can be checked against it.
export class AuditReportSha2561764130000000 implements MigrationInterface {
  name = 'AuditReportSha2561764130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits ADD COLUMN report_sha256 char(64)`);
    await q.query(
      `ALTER TABLE audits ADD CONSTRAINT audits_report_sha256_hex CHECK (report_sha256 IS NULL OR report_sha256 ~ '^[0-9a-f]{64}$')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP CONSTRAINT audits_report_sha256_hex`);
    await q.query(`ALTER TABLE audits DROP COLUMN report_sha256`);
  }
}
