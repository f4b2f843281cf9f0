import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { ConfigModule } from '../../../libs/config/src/config.module';
import { ApiKeyChanges, NoApiKeyChanges, PostgresApiKeyChanges } from '../../../libs/persistence/src/api-key-changes';
import { ApiKeyEpoch, NoApiKeyEpoch, RedisApiKeyEpoch } from '../../../libs/queue/src/api-key-epoch';
import { PersistenceModule } from '../../../libs/persistence/src/persistence.module';
import { QueueModule } from '../../../libs/queue/src/queue.module';
import { AccessLogController } from './access-log/access-log.controller';
import { AccessLogInterceptor } from './access-log/access-log.interceptor';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiThrottlerGuard, throttlerOptions } from './http/api-throttler.guard';
import { TempUploadJanitor } from './http/temp-upload-janitor';
import { apiLoggerOptions } from './http/log-redaction';
import { ApiKeyService } from './auth/api-key.service';
import { OidcTokenVerifier } from './auth/oidc-token-verifier';
import { ApiKeysController } from './auth/api-keys.controller';
import { AuditCommissionService } from './audits/audit-commission.service';
import { AuditEndpointCheck } from './audits/audit-endpoint-check';
import { AuditPreprocessingCheck } from './audits/audit-preprocessing-check';
import { AuditsController } from './audits/audits.controller';
import { AuditHistoryService } from './audits/audit-history.service';
import { ModelAuditsController } from './audit-plans/audit-plans.controller';
import { AuditPlanService } from './audit-plans/audit-plan.service';
import { ScheduledReaudits } from './audit-plans/scheduled-reaudits';
import { DatasetCatalogService } from './datasets/dataset-catalog.service';
import { DatasetsController } from './datasets/datasets.controller';
import { DataDeletionService } from './deletion/data-deletion.service';
import { DeletionReceiptsController } from './deletion/deletion-receipts.controller';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { ServiceMetrics } from './metrics/service-metrics';
import { EngineCheckPool } from './engine-checks/engine-check-pool';
import { DomainExceptionFilter } from './http/domain-exception.filter';
import { ModelRegistryService } from './models/model-registry.service';
import { ModelsController, ModelVersionsController } from './models/models.controller';
import { SigningKeyController } from './signing/signing-key.controller';
import { RegistryWebhookService } from './webhooks/registry-webhook.service';
import { WebhooksController } from './webhooks/webhooks.controller';
import { NotificationDispatcher } from './notifications/notification-dispatcher';
import { NotificationService } from './notifications/notification.service';
import { NotificationsController } from './notifications/notifications.controller';
import { ScheduledRetentionPurge } from './retention/scheduled-retention-purge';
import { TenantScopeMiddleware } from './tenants/tenant-scope.middleware';
import { TenantsController } from './tenants/tenants.controller';
import { TenantService } from './tenants/tenant.service';
import { PseudonymKeyController } from './tenants/pseudonym-key.controller';
import { PseudonymKeyService } from './tenants/pseudonym-key.service';

export { REDACTED_LOG_PATHS } from './http/log-redaction';

@Module({})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every route: each request runs in a tenant scope, which ApiKeyGuard sets to the key's tenant.
    consumer.apply(TenantScopeMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(apiLoggerOptions(config.LOG_LEVEL)),
        // The api applies pending migrations at start-up (migrationsRun); the worker never does.
        PersistenceModule.forRoot({ runMigrations: true }),
        QueueModule.forRoot(),
        // Failed checks are answered as 503 with their details; terminus' own error log would only repeat them.
        TerminusModule.forRoot({ logger: false }),
        // Counters in Redis, shared by every api replica (http/api-throttler.guard.ts).
        ThrottlerModule.forRoot(throttlerOptions(config)),
      ],
      controllers: [
        HealthController,
        MetricsController,
        ApiKeysController,
        TenantsController,
        PseudonymKeyController,
        ModelsController,
        ModelVersionsController,
        DatasetsController,
        AuditsController,
        AccessLogController,
        ModelAuditsController,
        SigningKeyController,
        WebhooksController,
        DeletionReceiptsController,
        NotificationsController,
      ],
      providers: [
        TenantService,
        PseudonymKeyService,
        {
          // The channel that drops the API-key cache on every change of api_keys (auth/api-key-cache.ts).
          provide: ApiKeyChanges,
          useFactory: async () => {
            if (config.API_KEY_CACHE_SECONDS === 0) return new NoApiKeyChanges();
            const changes = new PostgresApiKeyChanges(config.DATABASE_URL, config.DATABASE_SCHEMA);
            await changes.start();
            return changes;
          },
        },
        {
          // The key-change epoch in Redis that makes a revocation immediate on every replica (auth/api-key-cache.ts).
          provide: ApiKeyEpoch,
          useFactory: () =>
            config.API_KEY_CACHE_SECONDS === 0
              ? new NoApiKeyEpoch()
              : new RedisApiKeyEpoch(config.REDIS_URL, config.QUEUE_PREFIX),
        },
        ApiKeyService,
        OidcTokenVerifier,
        ServiceMetrics,
        EngineCheckPool,
        ModelRegistryService,
        DatasetCatalogService,
        AuditCommissionService,
        AuditPreprocessingCheck,
        AuditEndpointCheck,
        TempUploadJanitor,
        AuditHistoryService,
        AuditPlanService,
        ScheduledReaudits,
        RegistryWebhookService,
        DataDeletionService,
        ScheduledRetentionPurge,
        NotificationService,
        NotificationDispatcher,
        // Guards run in this order: the rate limit first (bad keys count too), then the key and its roles.
        { provide: APP_GUARD, useClass: ApiThrottlerGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: DomainExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: AccessLogInterceptor },
      ],
    };
  }
}
