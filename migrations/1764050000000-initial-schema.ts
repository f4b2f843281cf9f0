import { MigrationInterface, QueryRunner } from 'typeorm';

// Hand-written: the partial unique index and CHECK constraints are the point, and the generator does not
// express partial indexes. Table names are unqualified so they land in the DataSource's schema (search_path).
export class InitialSchema1764050000000 implements MigrationInterface {
  name = 'InitialSchema1764050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'privacy_officer', 'auditor')),
        prefix text NOT NULL UNIQUE,
        hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE models (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        description text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE model_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version int NOT NULL,
        sha256 char(64) NOT NULL,
        size_bytes bigint NOT NULL,
        signature jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT model_versions_model_version_unique UNIQUE (model_id, version)
      )`);
    await q.query(`
      CREATE TABLE datasets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('members', 'non-members', 'population')),
        label_column text NOT NULL,
        id_column text,
        sha256 char(64) NOT NULL,
        size_bytes bigint NOT NULL,
        rows int NOT NULL,
        columns jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE audits (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_version_id uuid NOT NULL REFERENCES model_versions(id),
        members_dataset_id uuid NOT NULL REFERENCES datasets(id),
        non_members_dataset_id uuid NOT NULL REFERENCES datasets(id),
        population_dataset_id uuid REFERENCES datasets(id),
        attacks jsonb,
        seed int NOT NULL,
        reference_models int,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        progress int NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        phase text,
        failure_code text,
        failure_reason text,
        risk_score int,
        risk_rating text,
        report jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one queued or running audit per model version, enforced by the database so two concurrent
    // requests cannot both pass a check-then-insert.
    await q.query(`
      CREATE UNIQUE INDEX audits_one_active_per_model_version
        ON audits (model_version_id) WHERE status IN ('queued', 'running')`);
    await q.query(`CREATE INDEX audits_model_version_created ON audits (model_version_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE findings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        audit_id uuid NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        attack text NOT NULL,
        severity text NOT NULL,
        reference text NOT NULL,
        summary text NOT NULL,
        metrics jsonb NOT NULL,
        most_exposed jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT findings_audit_attack_unique UNIQUE (audit_id, attack)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE findings`);
    await q.query(`DROP TABLE audits`);
    await q.query(`DROP TABLE datasets`);
    await q.query(`DROP TABLE model_versions`);
    await q.query(`DROP TABLE models`);
    await q.query(`DROP TABLE api_keys`);
  }
}
