/** Deliveries of inbound webhooks seen within the freshness window (replay protection). */
export abstract class WebhookDeliveryRepository {
  /**
   * Records the delivery's keys; true when none was seen before (a first delivery), false when any was (a
   * replay). Keys older than `windowSeconds` are forgotten first.
   */
  abstract recordOnce(keys: readonly string[], windowSeconds: number): Promise<boolean>;
}
