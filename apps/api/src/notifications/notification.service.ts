// Notification subscriptions of a model (POST/GET/DELETE /models/:id/notifications): a URL checked by the same
// outbound-safety layer as endpoint targets (public unicast after DNS, https unless OUTBOUND_ALLOW_HOSTS lists
// the host), the events wanted, and a signing secret generated here (or supplied) that is returned once, on
// creation, and kept sealed at rest (AES-256-GCM under SECRETS_ENCRYPTION_KEY, bound to the subscription's id).
import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { assertPublicDestination } from '../../../../libs/engine/src/targets/http/outbound-policy';
import {
  NOTIFICATION_EVENTS,
  type NotificationDeliveryRecord,
  type NotificationSubscriptionRecord,
} from '../../../../libs/persistence/src/records';
import { NotificationRepository } from '../../../../libs/persistence/src/repositories/notification.repository';
import {
  EndpointSecretBox,
  SecretsUnavailableError,
} from '../../../../libs/persistence/src/secrets/endpoint-secret-box';
import { foundOrNotFound, ServiceError, ServiceErrorCode } from '../http/service-error';
import { serviceOutboundPolicy } from '../models/endpoint-registration';
import { ModelRegistryService } from '../models/model-registry.service';

export const MIN_NOTIFICATION_SECRET_LENGTH = 32;

export const notificationSubscriptionSchema = z
  .object({
    /** Where the signed notifications are POSTed: https (or an allow-listed host), a public address. */
    url: z.string().max(2048),
    /** Events wanted (default: all of them). */
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).optional(),
    /** A signing secret of your own (at least 32 characters); by default the service generates one. */
    secret: z.string().min(MIN_NOTIFICATION_SECRET_LENGTH).max(256).optional(),
  })
  .strict();

export type NotificationSubscriptionBody = z.infer<typeof notificationSubscriptionSchema>;

/** A subscription as the api shows it: never its secret. */
export function subscriptionResource(s: NotificationSubscriptionRecord) {
  return { id: s.id, modelId: s.modelId, url: s.url, events: [...s.events], createdAt: s.createdAt.toISOString() };
}

export function deliveryResource(d: NotificationDeliveryRecord) {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    auditId: d.auditId,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    lastErrorCode: d.lastErrorCode,
    lastHttpStatus: d.lastHttpStatus,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}

@Injectable()
export class NotificationService {
  constructor(
    @Inject(NotificationRepository) private readonly repo: NotificationRepository,
    @Inject(EndpointSecretBox) private readonly secrets: EndpointSecretBox,
    @Inject(ModelRegistryService) private readonly models: ModelRegistryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates the subscription; the secret is in the answer only when the service generated it. */
  async subscribe(
    modelId: string,
    body: NotificationSubscriptionBody,
  ): Promise<{ subscription: NotificationSubscriptionRecord; generatedSecret: string | null }> {
    await this.models.get(modelId);
    // Refused destinations are EngineError TARGET_DESTINATION_REFUSED: 422 naming the reason, never the URL's query.
    const checked = await assertPublicDestination(body.url, serviceOutboundPolicy(this.config.OUTBOUND_ALLOW_HOSTS));
    if (checked.url.search !== '' || checked.url.hash !== '') {
      throw new ServiceError(
        ServiceErrorCode.ValidationFailed,
        "field 'url': a notification URL may not carry a query string or fragment (it is shown back unencrypted)",
        { field: 'url' },
      );
    }
    const id = randomUUID();
    const secret = body.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
    let secretSealed: string;
    try {
      secretSealed = this.secrets.sealText(secret, id);
    } catch (e) {
      if (e instanceof SecretsUnavailableError) throw new ServiceError(ServiceErrorCode.SecretsUnavailable, e.message);
      throw e;
    }
    const subscription = await this.repo.createSubscription({
      id,
      modelId,
      url: `${checked.url.origin}${checked.url.pathname}`,
      events: [...new Set(body.events ?? NOTIFICATION_EVENTS)],
      secretSealed,
    });
    return { subscription, generatedSecret: body.secret === undefined ? secret : null };
  }

  async list(modelId: string): Promise<NotificationSubscriptionRecord[]> {
    await this.models.get(modelId);
    return this.repo.listSubscriptions(modelId);
  }

  async get(modelId: string, id: string): Promise<NotificationSubscriptionRecord> {
    return foundOrNotFound(await this.repo.findSubscription(modelId, id), `notification subscription ${id}`);
  }

  async unsubscribe(modelId: string, id: string): Promise<void> {
    if (!(await this.repo.deleteSubscription(modelId, id)))
      throw new ServiceError(ServiceErrorCode.NotFound, `notification subscription ${id} not found`);
  }

  async deliveries(modelId: string, id: string, limit: number): Promise<NotificationDeliveryRecord[]> {
    await this.get(modelId, id);
    return this.repo.listDeliveries(id, limit);
  }
}
