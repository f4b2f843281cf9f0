import { MigrationInterface, QueryRunner } from 'typeorm';

// Re-audits (issue 9): one audit plan per model (the options of its audits, the release gate `max_rise`, a
// budget, whether a new version is re-audited, a cron schedule), and on each audit what started it and the gate
// threshold it was commissioned under (so a later change of the plan does not rewrite past verdicts). A model's
// history and an audit's predecessor are read through the initial schema's (model_version_id, created_at) index.
export class AuditPlansAndHistory1764140000000 implements MigrationInterface {
  name = 'AuditPlansAndHistory1764140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_plans (
        model_id uuid PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
        options jsonb NOT NULL,
        max_rise real CHECK (max_rise IS NULL OR (max_rise >= 0 AND max_rise <= 100)),
        max_reference_seconds real CHECK (max_reference_seconds IS NULL OR max_reference_seconds > 0),
        reaudit_on_new_version boolean NOT NULL DEFAULT true,
        schedule text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `ALTER TABLE audits ADD COLUMN trigger text NOT NULL DEFAULT 'manual'
         CONSTRAINT audits_trigger_known CHECK (trigger IN ('manual', 'new-version', 'schedule', 'webhook'))`,
    );
    await q.query(`ALTER TABLE audits ADD COLUMN max_rise real`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP COLUMN max_rise`);
    await q.query(`ALTER TABLE audits DROP COLUMN trigger`);
    await q.query(`DROP TABLE audit_plans`);
  }
}
