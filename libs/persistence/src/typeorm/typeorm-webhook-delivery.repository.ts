import type { DataSource } from 'typeorm';
import { WebhookDeliveryRepository } from '../repositories/webhook-delivery.repository';

export class TypeOrmWebhookDeliveryRepository extends WebhookDeliveryRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  // Installation-wide: deliveries are signed with the installation's secret, before any tenant is known.
  async recordOnce(keys: readonly string[], windowSeconds: number): Promise<boolean> {
    await this.dataSource.query(
      `DELETE FROM webhook_deliveries WHERE received_at < now() - make_interval(secs => $1)`,
      [windowSeconds],
    );
    // One statement: two concurrent deliveries of the same call cannot both insert every key.
    const inserted: Array<{ delivery_key: string }> = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (delivery_key) SELECT unnest($1::text[])
       ON CONFLICT (delivery_key) DO NOTHING RETURNING delivery_key`,
      [[...new Set(keys)]],
    );
    return inserted.length === new Set(keys).size;
  }
}
