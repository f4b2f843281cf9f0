import { MigrationInterface, QueryRunner } from 'typeorm';

// API keys expire (expires_at; null = never) and are rotated with an overlap: the old key's expires_at is set to
// the end of the overlap and `rotated_to` names its successor. last_used_at shows which keys are still in use.
export class ApiKeyLifecycle1764121000000 implements MigrationInterface {
  name = 'ApiKeyLifecycle1764121000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN expires_at timestamptz`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN rotated_to uuid REFERENCES api_keys(id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN rotated_to`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN last_used_at`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN expires_at`);
  }
}
