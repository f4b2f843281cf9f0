import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/src/app-config.schema';
import { APP_CONFIG } from '../../config/src/config.module';
import { AuditQueue, BullMqAuditQueue } from './audit-queue';
import { BullMqReauditScheduler, ReauditScheduler } from './reaudit-scheduler';

class AuditQueueCloser implements OnApplicationShutdown {
  constructor(
    @Inject(AuditQueue) private readonly queue: AuditQueue,
    @Inject(ReauditScheduler) private readonly scheduler: ReauditScheduler,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await this.scheduler.close();
  }
}

@Global()
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    return {
      module: QueueModule,
      providers: [
        {
          provide: AuditQueue,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => new BullMqAuditQueue(c.REDIS_URL, c.QUEUE_PREFIX, c.AUDIT_JOB_ATTEMPTS),
        },
        {
          provide: ReauditScheduler,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) =>
            new BullMqReauditScheduler(c.REDIS_URL, c.QUEUE_PREFIX, (message) =>
              new Logger('ReauditScheduler').error(`reaudits queue error: ${message}`),
            ),
        },
        AuditQueueCloser,
      ],
      exports: [AuditQueue, ReauditScheduler],
    };
  }
}
