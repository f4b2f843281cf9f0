import { MigrationInterface, QueryRunner } from 'typeorm';

// Every change to api_keys (a revocation, a rotation's new expiry, a deletion, even a manual UPDATE) notifies the
// channel privaudit_api_keys with the table's schema as payload, delivered when the change commits. Each api
// process listens and drops its short-lived cache of authenticated keys (apps/api/src/auth/api-key-cache.ts), so a
// revoked key is refused at once by every replica. A new key needs no notification: unknown keys are never cached.
export class ApiKeyChangeNotify1764200000000 implements MigrationInterface {
  name = 'ApiKeyChangeNotify1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('privaudit_api_keys', TG_TABLE_SCHEMA);
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER IF EXISTS api_keys_changed ON api_keys`);
    await q.query(
      `CREATE TRIGGER api_keys_changed AFTER UPDATE OR DELETE OR TRUNCATE ON api_keys
       FOR EACH STATEMENT EXECUTE FUNCTION api_keys_changed()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS api_keys_changed ON api_keys`);
    await q.query(`DROP FUNCTION IF EXISTS api_keys_changed()`);
  }
}
