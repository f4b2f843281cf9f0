import { MigrationInterface, QueryRunner } from 'typeorm';

// Extraction and inversion audits in the service (issues 7 and 8).
// - audits.attack_options: the options of the extraction.* and inversion.* attacks, as POST /audits took them
//   (queryPrice, extractionWhatIf, knockoffStrategy, sensitiveColumn, inversionQueries); null when none was given.
//   On the audit row, not only in the job: a job re-enqueued by the repair loop carries the audit id alone.
// - audit_artifacts: the files an audit produced (the stolen surrogate as ONNX, MI-Face reconstructions as CSV and
//   PNG). Their bytes are blobs of the blob store (content-addressed by sha256); a row names one for the audit.
//   Written in the transaction that stores the report; removed with their audit.
export class AuditAttackOptionsAndArtifacts1764160000000 implements MigrationInterface {
  name = 'AuditAttackOptionsAndArtifacts1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits ADD COLUMN attack_options jsonb`);
    await q.query(`
      CREATE TABLE audit_artifacts (
        audit_id uuid NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
        name text NOT NULL,
        kind text NOT NULL,
        media_type text NOT NULL,
        sha256 char(64) NOT NULL,
        bytes bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (audit_id, name),
        CONSTRAINT audit_artifacts_kind_check CHECK (kind IN ('surrogate-onnx', 'reconstruction-csv', 'reconstruction-png'))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_artifacts`);
    await q.query(`ALTER TABLE audits DROP COLUMN attack_options`);
  }
}
