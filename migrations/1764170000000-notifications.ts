import { MigrationInterface, QueryRunner } from 'typeorm';

// Outbound notifications (issue 9): per-model subscriptions (a URL, the events wanted, the signing secret sealed
// with SECRETS_ENCRYPTION_KEY) and a log of deliveries (one row per subscription, audit and event: the delivery
// id the receiver sees; status, attempts, the last error's code and HTTP status, never the payload). An audit is
// announced once: audits.notified_at is set when its deliveries were created. Audits that finished before this
// migration are marked announced, so subscribing never replays history. Both tables are made tenant-owned by the
// tenants migration (1764190000000, which runs after this one: its TENANT_OWNED list names them).
export class Notifications1764170000000 implements MigrationInterface {
  name = 'Notifications1764170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        url text NOT NULL,
        events text[] NOT NULL,
        secret_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX notification_subscriptions_model ON notification_subscriptions (model_id)`);
    await q.query(`
      CREATE TABLE notification_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES notification_subscriptions(id) ON DELETE CASCADE,
        audit_id uuid NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        event text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        last_error_code text,
        last_http_status int,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (subscription_id, audit_id, event)
      )`);
    await q.query(
      `CREATE INDEX notification_deliveries_pending ON notification_deliveries (updated_at) WHERE status = 'pending'`,
    );
    await q.query(`ALTER TABLE audits ADD COLUMN notified_at timestamptz`);
    await q.query(`UPDATE audits SET notified_at = now() WHERE status IN ('succeeded', 'failed')`);
    await q.query(
      `CREATE INDEX audits_to_notify ON audits (finished_at) WHERE notified_at IS NULL AND status IN ('succeeded', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audits_to_notify`);
    await q.query(`ALTER TABLE audits DROP COLUMN notified_at`);
    await q.query(`DROP TABLE notification_deliveries`);
    await q.query(`DROP TABLE notification_subscriptions`);
  }
}
