import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../../libs/config/src/app-config.schema';
import { ConfigModule } from '../../../libs/config/src/config.module';
import { PersistenceModule } from '../../../libs/persistence/src/persistence.module';
import { QueueModule } from '../../../libs/queue/src/queue.module';
import { AuditRepairLoop } from './audit-repair-loop';
import { FailedJobListener } from './failed-job-listener';
import { AuditQueueConsumer } from './audit-queue-consumer';
import { JOB_HANDLERS, JobHandler } from './job-handler';
import { AuditChildInputs } from './audit-child-inputs';
import { RunMembershipAuditJob } from './run-membership-audit.job';
import { TrainReferenceModelJob } from './train-reference-model.job';
import { ScratchJanitor } from './scratch-janitor';
import { ShutdownSignal } from './shutdown-signal';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.LOG_LEVEL } }),
        // Migrations are applied by the api; the worker only connects.
        PersistenceModule.forRoot({ runMigrations: false }),
        // The repair loop inspects jobs and re-enqueues audits that have none.
        QueueModule.forRoot(),
      ],
      providers: [
        ShutdownSignal,
        AuditChildInputs,
        RunMembershipAuditJob,
        TrainReferenceModelJob,
        // Every job handler is listed here; AuditQueueConsumer refuses to start unless each JobName has exactly one.
        {
          provide: JOB_HANDLERS,
          inject: [RunMembershipAuditJob, TrainReferenceModelJob],
          useFactory: (...handlers: JobHandler[]) => handlers,
        },
        AuditQueueConsumer,
        FailedJobListener,
        AuditRepairLoop,
        ScratchJanitor,
      ],
    };
  }
}
