// Sends the notifications (issue 9): the api polls Postgres for audits that finished (succeeded or failed) and
// were not yet announced, works out their events (completed or failed; rating changed against the model's
// previous succeeded audit; release gate failed), records one delivery per subscription and event, and queues
// each delivery on BullMQ. Every terminal transition is caught this way, whichever process made it (the worker's
// success and failure paths, the repair loop, a failed enqueue at commission), with nothing lost when Redis is
// briefly away: the audit stays unannounced until its deliveries are recorded, and pending deliveries whose job
// was lost are queued again.
//
// A delivery is one signed POST through the same outbound client as black-box targets (outbound-client.ts:
// address checks after DNS, the connection pinned to the checked address, no redirects, https unless the host is
// in OUTBOUND_ALLOW_HOSTS, timeouts and a response cap), retried by BullMQ with exponential backoff, and logged
// in Postgres (status, attempts, last error code and HTTP status; never the payload).
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { EngineError } from '../../../../libs/engine/src/errors';
import { OutboundClient } from '../../../../libs/engine/src/targets/http/outbound-client';
import { resolveOutboundPolicy } from '../../../../libs/engine/src/targets/http/outbound-policy';
import {
  AuditStatus,
  type AuditRecord,
  type AuditToAnnounce,
  type NotificationDeliveryRecord,
  type NotificationEvent,
} from '../../../../libs/persistence/src/records';
import { AuditRepository } from '../../../../libs/persistence/src/repositories/audit.repository';
import { NotificationRepository } from '../../../../libs/persistence/src/repositories/notification.repository';
import { EndpointSecretBox } from '../../../../libs/persistence/src/secrets/endpoint-secret-box';
import { runInTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';
import {
  consumeNotificationDeliveries,
  NotificationQueue,
  UnrecoverableError,
} from '../../../../libs/queue/src/notification-queue';
import { AuditHistoryService, type AuditGate } from '../audits/audit-history.service';
import { DELIVERY_HEADER, EVENT_HEADER, notificationSignature, SIGNATURE_HEADER } from './notification-signature';

/** Answers to a notification are not read: a small cap is enough. */
const MAX_ANSWER_BYTES = 64 * 1024;
const ANNOUNCE_BATCH = 50;
/** A pending delivery untouched this long may have lost its job (Redis lost it, or the enqueue failed): queued again. */
const STALE_PENDING_SECONDS = 600;

/** The body of a notification: ids, ratings, the gate and links. No record, score or data value. */
export interface NotificationPayload {
  readonly id: string;
  readonly event: NotificationEvent;
  readonly createdAt: string;
  readonly audit: {
    readonly id: string;
    readonly status: string;
    readonly modelId: string;
    readonly modelVersionId: string;
    readonly trigger: string;
    readonly riskScore: number | null;
    readonly rating: string | null;
    readonly previousAuditId: string | null;
    readonly previousRating: string | null;
    readonly gate: { passed: boolean; rise: number | null; maxRise: number; reason: string } | null;
    readonly failureCode: string | null;
    readonly finishedAt: string | null;
  };
  readonly links: Readonly<Record<string, string>>;
}

@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationDispatcher.name);
  private readonly queue: NotificationQueue;
  private consumer: { close(): Promise<void> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly client: OutboundClient;

  constructor(
    @Inject(NotificationRepository) private readonly notifications: NotificationRepository,
    @Inject(AuditRepository) private readonly audits: AuditRepository,
    @Inject(AuditHistoryService) private readonly history: AuditHistoryService,
    @Inject(EndpointSecretBox) private readonly secrets: EndpointSecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.queue = new NotificationQueue(
      config.REDIS_URL,
      config.QUEUE_PREFIX,
      { attempts: config.NOTIFICATION_MAX_ATTEMPTS, delayMs: config.NOTIFICATION_RETRY_DELAY_MS },
      (message) => this.logger.error(`notifications queue error: ${message}`),
    );
    // The black-box targets' policy and client; BullMQ does the retrying (with backoff over minutes), not the client.
    this.client = new OutboundClient(
      resolveOutboundPolicy({
        allowHosts: [...config.OUTBOUND_ALLOW_HOSTS],
        maxRetries: 0,
        connectTimeoutMs: 10_000,
        headersTimeoutMs: 15_000,
        bodyTimeoutMs: 15_000,
        maxResponseBytes: MAX_ANSWER_BYTES,
        circuitBreakerFailures: Number.MAX_SAFE_INTEGER,
      }),
    );
  }

  onApplicationBootstrap(): void {
    this.consumer = consumeNotificationDeliveries(
      this.config.REDIS_URL,
      this.config.QUEUE_PREFIX,
      ({ deliveryId }, attempt) => this.deliver(deliveryId, attempt.last),
      (message) => this.logger.error(`notifications queue error: ${message}`),
    );
    this.schedulePoll(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await this.consumer?.close();
    await this.queue.close();
    await this.client.close();
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll()
        .catch((e: unknown) => this.logger.error(`notifications: ${(e as Error).message}`))
        .finally(() => this.schedulePoll(this.config.NOTIFICATION_POLL_INTERVAL_MS));
    }, delayMs);
  }

  /** One round: announce finished audits, then re-queue pending deliveries whose job may be lost. */
  async poll(): Promise<void> {
    for (const audit of await this.notifications.listAuditsToAnnounce(ANNOUNCE_BATCH)) {
      if (this.stopped) return;
      // The audit's events are read in its tenant (its rows, its model's previous audit and gate).
      const events = await runInTenant(audit.tenantId, () => this.eventsOf(audit));
      const pending = await this.notifications.announce(audit, events);
      for (const id of pending) await this.queue.enqueue(id);
    }
    // Job ids are the delivery ids: a delivery whose job is still queued or waiting to retry is not added twice.
    for (const id of await this.notifications.listStalePending(STALE_PENDING_SECONDS, ANNOUNCE_BATCH))
      await this.queue.enqueue(id);
  }

  private async eventsOf(announced: AuditToAnnounce): Promise<NotificationEvent[]> {
    if (announced.status === AuditStatus.Failed) return ['audit.failed'];
    const audit = await this.audits.findById(announced.auditId);
    if (!audit) return [];
    const events: NotificationEvent[] = ['audit.completed'];
    const previous = await this.audits.findPreviousSucceeded(audit.id);
    if (previous && previous.riskRating !== audit.riskRating) events.push('audit.rating_changed');
    const gate = await this.history.gate(audit);
    if (gate && !gate.passed) events.push('audit.gate_failed');
    return events;
  }

  /** One attempt of one delivery. Throws to be retried (UnrecoverableError: not worth retrying). */
  async deliver(deliveryId: string, lastAttempt: boolean): Promise<string> {
    const delivery = await this.notifications.startAttempt(deliveryId);
    if (!delivery) return 'not pending (already delivered or failed, or its subscription was removed)';
    // The audit and its predecessor are read in the delivery's tenant.
    return runInTenant(delivery.tenantId, () => this.attempt(delivery, lastAttempt));
  }

  private async attempt(delivery: NotificationDeliveryRecord, lastAttempt: boolean): Promise<string> {
    const deliveryId = delivery.id;
    const found = await this.notifications.findSubscriptionSecret(delivery.subscriptionId);
    const audit = await this.audits.findById(delivery.auditId);
    if (!found || !audit) return 'subscription or audit removed';
    const fail = async (code: string, httpStatus: number | null, final: boolean, message: string): Promise<never> => {
      await this.notifications.recordFailure(deliveryId, { code, httpStatus }, final || lastAttempt);
      this.logger.warn(
        `notification ${deliveryId} (${delivery.event}) attempt ${delivery.attempts}: ${message}${final || lastAttempt ? '; marked failed' : '; will retry'}`,
      );
      throw final ? new UnrecoverableError(message) : new Error(message);
    };
    let secret: string;
    try {
      secret = this.secrets.openText(found.secretSealed, found.subscription.id);
    } catch (e) {
      return fail('SECRETS_UNAVAILABLE', null, true, (e as Error).message);
    }
    const payload = await this.payloadOf(
      delivery.id,
      delivery.event,
      delivery.createdAt,
      audit,
      found.subscription.modelId,
    );
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const headers = {
      'user-agent': 'privaudit-notifications',
      [SIGNATURE_HEADER]: notificationSignature(secret, body, Math.floor(Date.now() / 1000)),
      [DELIVERY_HEADER]: delivery.id,
      [EVENT_HEADER]: delivery.event,
      'idempotency-key': delivery.id,
    };
    let status: number;
    try {
      // The destination is checked again now (DNS may have changed since the subscription), on every attempt.
      status = (await this.client.postBytes(new URL(found.subscription.url), body, headers, MAX_ANSWER_BYTES)).status;
    } catch (e) {
      if (e instanceof EngineError) {
        // A redirect is never followed, and asking again would only be redirected again: failed at once.
        const redirect = /answered a redirect \(HTTP (\d{3})\)/.exec(e.message);
        if (redirect) return fail('REDIRECT_REFUSED', Number(redirect[1]), true, e.message);
        const http = /answered HTTP (\d{3})/.exec(e.message);
        const refused = e.code === 'TARGET_DESTINATION_REFUSED';
        return fail(http ? 'HTTP_STATUS' : e.code, http ? Number(http[1]) : null, refused, e.message);
      }
      throw e;
    }
    if (status >= 200 && status < 300) {
      await this.notifications.markDelivered(deliveryId, status);
      return `delivered (HTTP ${status})`;
    }
    // 4xx but 408 and 429: the receiver refuses this notification; asking again will not change its mind.
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    return fail('HTTP_STATUS', status, permanent, `the receiver answered HTTP ${status}`);
  }

  private async payloadOf(
    id: string,
    event: NotificationEvent,
    createdAt: Date,
    audit: AuditRecord,
    modelId: string,
  ): Promise<NotificationPayload> {
    const previous = audit.status === AuditStatus.Succeeded ? await this.audits.findPreviousSucceeded(audit.id) : null;
    const gate: AuditGate | null = await this.history.gate(audit);
    const base = this.config.PUBLIC_BASE_URL?.replace(/\/+$/, '') ?? '';
    const links: Record<string, string> = { audit: `${base}/audits/${audit.id}` };
    if (audit.status === AuditStatus.Succeeded) {
      links.report = `${base}/audits/${audit.id}/report`;
      links.reportPdf = `${base}/audits/${audit.id}/report.pdf`;
      links.diff = `${base}/audits/${audit.id}/diff`;
    }
    links.history = `${base}/models/${modelId}/audits`;
    return {
      id,
      event,
      createdAt: createdAt.toISOString(),
      audit: {
        id: audit.id,
        status: audit.status,
        modelId,
        modelVersionId: audit.modelVersionId,
        trigger: audit.trigger,
        riskScore: audit.riskScore,
        rating: audit.riskRating,
        previousAuditId: previous?.id ?? null,
        previousRating: previous?.riskRating ?? null,
        gate: gate ? { passed: gate.passed, rise: gate.rise, maxRise: gate.maxRise, reason: gate.reason } : null,
        // The code only: a failure's reason is for the api's own GET /audits/:id.
        failureCode: audit.failureCode,
        finishedAt: audit.finishedAt?.toISOString() ?? null,
      },
      links,
    };
  }
}
