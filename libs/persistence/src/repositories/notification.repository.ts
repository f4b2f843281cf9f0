import type {
  AuditToAnnounce,
  NotificationDeliveryRecord,
  NotificationEvent,
  NotificationSubscriptionRecord,
} from '../records';

export interface NewNotificationSubscription {
  /** Chosen by the caller: the sealed secret is bound to it (AES-GCM additional data). */
  readonly id: string;
  readonly modelId: string;
  readonly url: string;
  readonly events: readonly NotificationEvent[];
  readonly secretSealed: string;
}

/** Subscriptions, their sealed secrets and the delivery log of outbound notifications. */
export abstract class NotificationRepository {
  abstract createSubscription(s: NewNotificationSubscription): Promise<NotificationSubscriptionRecord>;
  abstract listSubscriptions(modelId: string): Promise<NotificationSubscriptionRecord[]>;
  abstract findSubscription(modelId: string, id: string): Promise<NotificationSubscriptionRecord | null>;
  /** The subscription with its sealed secret (the delivery job only). */
  abstract findSubscriptionSecret(
    id: string,
  ): Promise<{ subscription: NotificationSubscriptionRecord; secretSealed: string } | null>;
  /** True when a subscription was removed (its deliveries go with it). */
  abstract deleteSubscription(modelId: string, id: string): Promise<boolean>;

  /** Succeeded or failed audits not yet announced, oldest first. */
  abstract listAuditsToAnnounce(limit: number): Promise<AuditToAnnounce[]>;
  /**
   * Creates the audit's deliveries (one per subscription of its model wanting each event; existing ones kept)
   * and marks the audit announced. Returns every pending delivery of the audit. Idempotent.
   */
  abstract announce(audit: AuditToAnnounce, events: readonly NotificationEvent[]): Promise<string[]>;
  /** Pending deliveries untouched for olderThanSeconds (their job may be lost), to enqueue again. */
  abstract listStalePending(olderThanSeconds: number, limit: number): Promise<string[]>;

  abstract findDelivery(id: string): Promise<NotificationDeliveryRecord | null>;
  abstract listDeliveries(subscriptionId: string, limit: number): Promise<NotificationDeliveryRecord[]>;
  /** Counts an attempt of a pending delivery; null when it is no longer pending. */
  abstract startAttempt(id: string): Promise<NotificationDeliveryRecord | null>;
  abstract markDelivered(id: string, httpStatus: number): Promise<void>;
  /** Records a failed attempt; `final` marks the delivery failed for good, else it stays pending. */
  abstract recordFailure(
    id: string,
    failure: { code: string; httpStatus: number | null },
    final: boolean,
  ): Promise<void>;
}
