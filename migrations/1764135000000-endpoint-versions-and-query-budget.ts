import { MigrationInterface, QueryRunner } from 'typeorm';

// Model versions that are remote prediction endpoints (issue 7), and the query account of each audit.
// - kind: 'onnx' (an uploaded file, as before) or 'endpoint'.
// - endpoint: the endpoint's public description (URL without its query string, protocol, output kind, adapter
//   options, auth header NAMES); the version's sha256 is the engine's canonical hash of it.
// - endpoint_secrets: the auth header values and the URL's query string, AES-256-GCM encrypted with
//   SECRETS_ENCRYPTION_KEY (bound to the row id): never stored, logged or returned in clear.
// - ownership_token / ownership_verified_at: the proof of control of a host that is not allow-listed.
// - audits.query_budget / queries_used: the hard per-audit budget and what was spent so far, incremented as
//   each request is answered, so a retried or resumed job continues from it.
export class EndpointVersionsAndQueryBudget1764135000000 implements MigrationInterface {
  name = 'EndpointVersionsAndQueryBudget1764135000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions ADD COLUMN kind text NOT NULL DEFAULT 'onnx'`);
    await q.query(
      `ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('onnx', 'endpoint'))`,
    );
    await q.query(`ALTER TABLE model_versions ADD COLUMN endpoint jsonb`);
    await q.query(`ALTER TABLE model_versions ADD COLUMN endpoint_secrets text`);
    await q.query(`ALTER TABLE model_versions ADD COLUMN ownership_token text`);
    await q.query(`ALTER TABLE model_versions ADD COLUMN ownership_verified_at timestamptz`);
    await q.query(
      `ALTER TABLE model_versions ADD CONSTRAINT model_versions_endpoint_check CHECK ((kind = 'endpoint') = (endpoint IS NOT NULL))`,
    );
    await q.query(`ALTER TABLE audits ADD COLUMN query_budget integer`);
    await q.query(`ALTER TABLE audits ADD COLUMN queries_used integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audits DROP COLUMN queries_used`);
    await q.query(`ALTER TABLE audits DROP COLUMN query_budget`);
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT model_versions_endpoint_check`);
    await q.query(`ALTER TABLE model_versions DROP COLUMN ownership_verified_at`);
    await q.query(`ALTER TABLE model_versions DROP COLUMN ownership_token`);
    await q.query(`ALTER TABLE model_versions DROP COLUMN endpoint_secrets`);
    await q.query(`ALTER TABLE model_versions DROP COLUMN endpoint`);
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT model_versions_kind_check`);
    await q.query(`ALTER TABLE model_versions DROP COLUMN kind`);
  }
}
