import { MigrationInterface, QueryRunner } from 'typeorm';

// An append-only log of who created, viewed, exported, changed or deleted what (docs/security.md). Append-only is
// enforced by Postgres, not only by the code: triggers refuse UPDATE, DELETE and TRUNCATE, whoever asks.
export class AccessLog1764122000000 implements MigrationInterface {
  name = 'AccessLog1764122000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        key_id uuid NOT NULL,
        role text NOT NULL,
        action text NOT NULL CHECK (action IN ('create', 'view', 'export', 'update', 'delete')),
        resource_type text NOT NULL,
        resource_id text,
        method text NOT NULL,
        path text NOT NULL,
        status integer NOT NULL
      )`);
    await q.query(`CREATE INDEX access_log_resource ON access_log (resource_type, resource_id, id)`);
    await q.query(`CREATE INDEX access_log_key ON access_log (key_id, id)`);
    await q.query(`
      CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'access_log is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER access_log_no_update_delete BEFORE UPDATE OR DELETE ON access_log
      FOR EACH ROW EXECUTE FUNCTION access_log_append_only()`);
    await q.query(`
      CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
      FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_log`);
    await q.query(`DROP FUNCTION access_log_append_only()`);
  }
}
