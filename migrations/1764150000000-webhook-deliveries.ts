import { MigrationInterface, QueryRunner } from 'typeorm';

// Model-registry webhooks: the deliveries seen recently (by signature, and by delivery id when the sender gives
// one), so a replayed call is refused. Rows older than the freshness window are deleted as new ones arrive: a
// call that old is refused as stale anyway, so the table holds minutes of traffic, not history.
export class WebhookDeliveries1764150000000 implements MigrationInterface {
  name = 'WebhookDeliveries1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_deliveries (
        delivery_key text PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
  }
}
