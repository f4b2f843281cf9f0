import type { TenantDb } from '../tenancy/tenant-db';
import {
  AuditStatus,
  type AuditToAnnounce,
  type NotificationDeliveryRecord,
  type NotificationDeliveryStatus,
  type NotificationEvent,
  type NotificationSubscriptionRecord,
} from '../records';
import { NewNotificationSubscription, NotificationRepository } from '../repositories/notification.repository';

interface SubscriptionRow {
  id: string;
  model_id: string;
  url: string;
  events: NotificationEvent[];
  created_at: Date;
  secret_sealed?: string;
}

interface DeliveryRow {
  id: string;
  tenant_id: string;
  subscription_id: string;
  audit_id: string;
  event: NotificationEvent;
  status: NotificationDeliveryStatus;
  attempts: number;
  last_error_code: string | null;
  last_http_status: number | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

const SUBSCRIPTION_COLUMNS = 'id, model_id, url, events, created_at';
const DELIVERY_COLUMNS =
  'id, tenant_id, subscription_id, audit_id, event, status, attempts, last_error_code, last_http_status, created_at, updated_at, delivered_at';

/** pg answers UPDATE ... RETURNING as [rows, count]; SELECT and INSERT as rows. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

// Subscriptions are read and written by requests in their tenant (TenantDb: row-level security). The dispatcher
// works installation-wide (it announces every tenant's audits and delivers by delivery id) and writes each row in
// the tenant it belongs to.
export class TypeOrmNotificationRepository extends NotificationRepository {
  constructor(private readonly db: TenantDb) {
    super();
  }

  private get installation() {
    return this.db.installation;
  }

  async createSubscription(s: NewNotificationSubscription): Promise<NotificationSubscriptionRecord> {
    const rows: SubscriptionRow[] = await this.db.query(
      `INSERT INTO notification_subscriptions (id, model_id, url, events, secret_sealed) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.id, s.modelId, s.url, [...s.events], s.secretSealed],
    );
    return toSubscription(rows[0]!);
  }

  async listSubscriptions(modelId: string): Promise<NotificationSubscriptionRecord[]> {
    const rows: SubscriptionRow[] = await this.db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM notification_subscriptions WHERE model_id = $1 ORDER BY created_at, id`,
      [modelId],
    );
    return rows.map(toSubscription);
  }

  async findSubscription(modelId: string, id: string): Promise<NotificationSubscriptionRecord | null> {
    const rows: SubscriptionRow[] = await this.db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM notification_subscriptions WHERE model_id = $1 AND id = $2`,
      [modelId, id],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async findSubscriptionSecret(
    id: string,
  ): Promise<{ subscription: NotificationSubscriptionRecord; secretSealed: string } | null> {
    const rows: SubscriptionRow[] = await this.installation.query(
      `SELECT ${SUBSCRIPTION_COLUMNS}, secret_sealed FROM notification_subscriptions WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row ? { subscription: toSubscription(row), secretSealed: row.secret_sealed as string } : null;
  }

  async deleteSubscription(modelId: string, id: string): Promise<boolean> {
    const result = await this.db.query(
      `DELETE FROM notification_subscriptions WHERE model_id = $1 AND id = $2 RETURNING id`,
      [modelId, id],
    );
    return rowsOf(result).length === 1;
  }

  async listAuditsToAnnounce(limit: number): Promise<AuditToAnnounce[]> {
    const rows: Array<{
      id: string;
      model_id: string;
      tenant_id: string;
      status: AuditStatus.Succeeded | AuditStatus.Failed;
    }> = await this.installation.query(
      `SELECT a.id, v.model_id, a.tenant_id, a.status FROM audits a JOIN model_versions v ON v.id = a.model_version_id
         WHERE a.notified_at IS NULL AND a.status IN ('succeeded', 'failed')
         ORDER BY a.finished_at, a.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ auditId: r.id, modelId: r.model_id, tenantId: r.tenant_id, status: r.status }));
  }

  async announce(audit: AuditToAnnounce, events: readonly NotificationEvent[]): Promise<string[]> {
    return this.installation.transaction(async (m) => {
      await m.query(
        `INSERT INTO notification_deliveries (tenant_id, subscription_id, audit_id, event)
         SELECT s.tenant_id, s.id, $1, e.event FROM notification_subscriptions s, unnest($3::text[]) AS e(event)
         WHERE s.model_id = $2 AND e.event = ANY (s.events)
         ON CONFLICT (subscription_id, audit_id, event) DO NOTHING`,
        [audit.auditId, audit.modelId, [...events]],
      );
      await m.query(`UPDATE audits SET notified_at = now() WHERE id = $1 AND notified_at IS NULL`, [audit.auditId]);
      const rows: Array<{ id: string }> = await m.query(
        `SELECT id FROM notification_deliveries WHERE audit_id = $1 AND status = 'pending' ORDER BY created_at, id`,
        [audit.auditId],
      );
      return rows.map((r) => r.id);
    });
  }

  async listStalePending(olderThanSeconds: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.installation.query(
      `SELECT id FROM notification_deliveries WHERE status = 'pending' AND updated_at < now() - make_interval(secs => $1)
       ORDER BY updated_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  async findDelivery(id: string): Promise<NotificationDeliveryRecord | null> {
    const rows: DeliveryRow[] = await this.installation.query(
      `SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries WHERE id = $1`,
      [id],
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async listDeliveries(subscriptionId: string, limit: number): Promise<NotificationDeliveryRecord[]> {
    const rows: DeliveryRow[] = await this.db.query(
      `SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries WHERE subscription_id = $1
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      [subscriptionId, limit],
    );
    return rows.map(toDelivery);
  }

  async startAttempt(id: string): Promise<NotificationDeliveryRecord | null> {
    const rows = rowsOf<DeliveryRow>(
      await this.installation.query(
        `UPDATE notification_deliveries SET attempts = attempts + 1, updated_at = now()
         WHERE id = $1 AND status = 'pending' RETURNING ${DELIVERY_COLUMNS}`,
        [id],
      ),
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async markDelivered(id: string, httpStatus: number): Promise<void> {
    await this.installation.query(
      `UPDATE notification_deliveries SET status = 'delivered', last_http_status = $2, last_error_code = NULL,
         delivered_at = now(), updated_at = now() WHERE id = $1 AND status = 'pending'`,
      [id, httpStatus],
    );
  }

  async recordFailure(id: string, failure: { code: string; httpStatus: number | null }, final: boolean): Promise<void> {
    await this.installation.query(
      `UPDATE notification_deliveries SET last_error_code = $2, last_http_status = $3, updated_at = now(),
         status = CASE WHEN $4 THEN 'failed' ELSE status END
       WHERE id = $1 AND status = 'pending'`,
      [id, failure.code, failure.httpStatus, final],
    );
  }
}

function toSubscription(r: SubscriptionRow): NotificationSubscriptionRecord {
  return { id: r.id, modelId: r.model_id, url: r.url, events: r.events, createdAt: r.created_at };
}

function toDelivery(r: DeliveryRow): NotificationDeliveryRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    subscriptionId: r.subscription_id,
    auditId: r.audit_id,
    event: r.event,
    status: r.status,
    attempts: r.attempts,
    lastErrorCode: r.last_error_code,
    lastHttpStatus: r.last_http_status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}
