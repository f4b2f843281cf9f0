import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import type { AppConfig } from '../../../../libs/config/src/app-config.schema';
import { APP_CONFIG } from '../../../../libs/config/src/config.module';
import { WebhookDeliveryRepository } from '../../../../libs/persistence/src/repositories/webhook-delivery.repository';
import { AuditPlanService, type ReauditOutcome } from '../audit-plans/audit-plan.service';
import { ServiceError, ServiceErrorCode } from '../http/service-error';
import { ModelRegistryService } from '../models/model-registry.service';
import { runInTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';
import {
  verifyRegistryWebhook,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookRefusal,
  type WebhookForm,
} from './registry-webhook-signature';

/** Generic form: names the privaudit model version announced (uploaded, or registered by URL, beforehand). */
const genericBody = z.looseObject({ modelVersionId: z.uuid() });

/** MLflow form: {entity, action, timestamp, data: ModelVersionCreatedPayload}. */
const mlflowBody = z.looseObject({
  entity: z.string(),
  action: z.string(),
  data: z.looseObject({
    name: z.string().optional(),
    version: z.union([z.string(), z.number()]).optional(),
    source: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
  }),
});

/** The MLflow model version's tag naming the privaudit model version it was uploaded as. */
export const MLFLOW_VERSION_TAG = 'privaudit_model_version_id';
const VERSION_IN_SOURCE = /model-versions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

export type WebhookOutcome =
  | { readonly form: WebhookForm; readonly status: 'ignored'; readonly event: string }
  | {
      readonly form: WebhookForm;
      readonly status: 'accepted';
      readonly modelId: string;
      readonly modelVersionId: string;
      readonly reaudit: ReauditOutcome;
    };

/**
 * A model registry announces a new version: after the signature, freshness and replay checks, the version is
 * re-audited under its model's plan. This service never downloads a model: the announced version must already be
 * known to privaudit (uploaded, or registered by URL), named by id.
 */
@Injectable()
export class RegistryWebhookService {
  private readonly logger = new Logger(RegistryWebhookService.name);

  constructor(
    @Inject(WebhookDeliveryRepository) private readonly deliveries: WebhookDeliveryRepository,
    @Inject(ModelRegistryService) private readonly models: ModelRegistryService,
    @Inject(AuditPlanService) private readonly plans: AuditPlanService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async receive(
    headers: Readonly<Record<string, string | string[] | undefined>>,
    rawBody: Buffer | undefined,
  ): Promise<WebhookOutcome> {
    if (rawBody === undefined) {
      throw new ServiceError(ServiceErrorCode.UnsupportedMediaType, 'send the webhook body as application/json');
    }
    let verified;
    try {
      verified = verifyRegistryWebhook(headers, rawBody, this.config.MODEL_REGISTRY_WEBHOOK_SECRET, Date.now() / 1000);
    } catch (e) {
      if (e instanceof WebhookRefusal) throw this.refuse(e.message);
      throw e;
    }
    // Twice the window: a call within the window on either side of the clock is still remembered.
    if (!(await this.deliveries.recordOnce(verified.replayKeys, 2 * WEBHOOK_TOLERANCE_SECONDS))) {
      throw this.refuse('replayed call: this delivery was already received');
    }
    const json: unknown = JSON.parse(rawBody.toString('utf8'));
    const versionId = verified.form === 'mlflow' ? this.mlflowVersionId(json) : this.genericVersionId(json);
    if (typeof versionId !== 'string') return { form: verified.form, status: 'ignored', event: versionId.event };
    // The installation's secret signed the call: the version's own tenant (looked up installation-wide) is the one
    // the re-audit runs in. An unknown version answers 404 as before.
    const tenantId = await this.models.tenantOfVersion(versionId);
    if (tenantId === null) throw new ServiceError(ServiceErrorCode.NotFound, `model version ${versionId} not found`);
    return runInTenant(tenantId, async () => {
      const version = await this.models.getVersion(versionId);
      const reaudit = await this.plans.reaudit(version.modelId, version.id, 'webhook');
      return {
        form: verified.form,
        status: 'accepted' as const,
        modelId: version.modelId,
        modelVersionId: version.id,
        reaudit,
      };
    });
  }

  private refuse(reason: string): ServiceError {
    this.logger.warn(`model-registry webhook refused: ${reason}`);
    return new ServiceError(ServiceErrorCode.Unauthenticated, `webhook refused: ${reason}`);
  }

  private genericVersionId(json: unknown): string {
    const parsed = genericBody.safeParse(json);
    if (!parsed.success) {
      throw new ServiceError(
        ServiceErrorCode.ValidationFailed,
        'invalid webhook body: modelVersionId (a uuid) is required',
      );
    }
    return parsed.data.modelVersionId;
  }

  private mlflowVersionId(json: unknown): string | { event: string } {
    const parsed = mlflowBody.safeParse(json);
    if (!parsed.success) {
      throw new ServiceError(
        ServiceErrorCode.ValidationFailed,
        'invalid MLflow webhook body: expected {entity, action, data}',
      );
    }
    const { entity, action, data } = parsed.data;
    if (entity !== 'model_version' || action !== 'created') return { event: `${entity}.${action}` };
    const id = data.tags?.[MLFLOW_VERSION_TAG] ?? VERSION_IN_SOURCE.exec(data.source ?? '')?.[1];
    if (id === undefined || !z.uuid().safeParse(id).success) {
      throw new ServiceError(
        ServiceErrorCode.ValidationFailed,
        `the MLflow model version names no privaudit model version: set its tag ${MLFLOW_VERSION_TAG}, or a source ending in /model-versions/<id>`,
      );
    }
    return id;
  }
}
