import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/src/app-config.schema';
import { APP_CONFIG } from '../../config/src/config.module';
import { BlobStore } from './blob-store/blob-store';
import { FilesystemBlobStore } from './blob-store/filesystem-blob-store';
import { openDataSource } from './data-source-options';
import { EndpointSecretBox } from './secrets/endpoint-secret-box';
import { DataVault } from './encryption/data-vault';
import { MasterKeyring } from './encryption/master-keyring';
import { TypeOrmDataKeyRepository } from './typeorm/typeorm-data-key.repository';
import { PseudonymKeyRepository } from './repositories/pseudonym-key.repository';
import { TypeOrmPseudonymKeyRepository } from './typeorm/typeorm-pseudonym-key.repository';
import { TypeOrmDataLifecycleRepository } from './typeorm/typeorm-data-lifecycle.repository';
import {
  AccessLogRepository,
  ApiKeyRepository,
  AuditPlanRepository,
  AuditRepository,
  DataKeyRepository,
  DataLifecycleRepository,
  WebhookDeliveryRepository,
  NotificationRepository,
  DatabaseStatus,
  DatasetRepository,
  ModelRepository,
  ReferenceModelRepository,
  TenantRepository,
} from './repositories';
import { TenantDb } from './tenancy/tenant-db';
import { openTenantLogin } from './tenancy/tenant-login';
import { TypeOrmTenantRepository } from './typeorm/typeorm-tenant.repository';
import { TypeOrmAccessLogRepository } from './typeorm/typeorm-access-log.repository';
import { TypeOrmApiKeyRepository } from './typeorm/typeorm-api-key.repository';
import { TypeOrmAuditPlanRepository } from './typeorm/typeorm-audit-plan.repository';
import { TypeOrmWebhookDeliveryRepository } from './typeorm/typeorm-webhook-delivery.repository';
import { TypeOrmNotificationRepository } from './typeorm/typeorm-notification.repository';
import { TypeOrmAuditRepository } from './typeorm/typeorm-audit.repository';
import { TypeOrmDatabaseStatus } from './typeorm/typeorm-database-status';
import { TypeOrmDatasetRepository } from './typeorm/typeorm-dataset.repository';
import { TypeOrmModelRepository } from './typeorm/typeorm-model.repository';
import { TypeOrmReferenceModelRepository } from './typeorm/typeorm-reference-model.repository';

/** DATABASE_TENANT_URL's connection (tenant transactions), or null when unset (they use the DataSource). */
export const TENANT_LOGIN = Symbol('TENANT_LOGIN');

class DataSourceCloser implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TENANT_LOGIN) private readonly tenantLogin: DataSource | null,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.tenantLogin?.isInitialized) await this.tenantLogin.destroy();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Nest wiring of the repositories. The classes themselves know nothing of Nest. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(opts: { runMigrations: boolean }): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) =>
            openDataSource(
              { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE },
              { runMigrations: opts.runMigrations },
            ),
        },
        {
          provide: TENANT_LOGIN,
          // After the DataSource: the api has migrated (the tenant role and the tables exist) before the check.
          inject: [DataSource, APP_CONFIG],
          useFactory: (installation: DataSource, config: AppConfig) =>
            config.DATABASE_TENANT_URL === undefined
              ? null
              : openTenantLogin(
                  {
                    url: config.DATABASE_TENANT_URL,
                    schema: config.DATABASE_SCHEMA,
                    poolSize: config.DATABASE_TENANT_POOL_SIZE,
                  },
                  config.DATABASE_TENANT_ROLE,
                  installation,
                ),
        },
        DataSourceCloser,
        {
          provide: TenantDb,
          inject: [DataSource, APP_CONFIG, TENANT_LOGIN],
          useFactory: (ds: DataSource, config: AppConfig, tenantLogin: DataSource | null) =>
            new TenantDb(ds, config.DATABASE_TENANT_ROLE, tenantLogin ?? undefined),
        },
        {
          provide: TenantRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmTenantRepository(db),
        },
        {
          provide: ApiKeyRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmApiKeyRepository(db),
        },
        {
          provide: AccessLogRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmAccessLogRepository(db),
        },
        {
          provide: ModelRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmModelRepository(db),
        },
        {
          provide: DatasetRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmDatasetRepository(db),
        },
        {
          provide: AuditRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmAuditRepository(db),
        },
        {
          provide: AuditPlanRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmAuditPlanRepository(db),
        },
        {
          provide: WebhookDeliveryRepository,
          inject: [DataSource],
          // Installation-wide: replay keys of deliveries signed with the installation's secret.
          useFactory: (ds: DataSource) => new TypeOrmWebhookDeliveryRepository(ds),
        },
        {
          provide: NotificationRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmNotificationRepository(db),
        },
        {
          provide: ReferenceModelRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmReferenceModelRepository(db),
        },
        {
          provide: DatabaseStatus,
          inject: [DataSource, TENANT_LOGIN],
          // Installation-wide: readiness (both connections) and /metrics (counts, never a tenant's data).
          useFactory: (ds: DataSource, tenantLogin: DataSource | null) =>
            new TypeOrmDatabaseStatus(ds, tenantLogin ?? undefined),
        },
        {
          provide: EndpointSecretBox,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new EndpointSecretBox(config.SECRETS_ENCRYPTION_KEY),
        },
        {
          provide: BlobStore,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new FilesystemBlobStore(config.STORAGE_DIR),
        },
        {
          provide: DataKeyRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmDataKeyRepository(db),
        },
        {
          provide: PseudonymKeyRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmPseudonymKeyRepository(db),
        },
        {
          provide: DataLifecycleRepository,
          inject: [TenantDb],
          useFactory: (db: TenantDb) => new TypeOrmDataLifecycleRepository(db),
        },
        {
          provide: MasterKeyring,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) =>
            new MasterKeyring(config.DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_PREVIOUS_KEYS),
        },
        {
          provide: DataVault,
          inject: [MasterKeyring, DataKeyRepository, BlobStore],
          useFactory: (keyring: MasterKeyring, keys: DataKeyRepository, blobs: BlobStore) =>
            new DataVault(keyring, keys, blobs),
        },
      ],
      exports: [
        TenantDb,
        TenantRepository,
        AccessLogRepository,
        ApiKeyRepository,
        ModelRepository,
        DatasetRepository,
        AuditRepository,
        AuditPlanRepository,
        WebhookDeliveryRepository,
        NotificationRepository,
        ReferenceModelRepository,
        DatabaseStatus,
        BlobStore,
        EndpointSecretBox,
        DataKeyRepository,
        DataLifecycleRepository,
        MasterKeyring,
        DataVault,
        PseudonymKeyRepository,
        DataSource,
      ],
    };
  }
}
