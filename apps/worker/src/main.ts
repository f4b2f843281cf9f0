import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '../../../libs/config/src/load-config';
import { assertRedisNoEviction } from '../../../libs/queue/src/redis-eviction-policy';
import { assertRedisPersistence } from '../../../libs/queue/src/redis-persistence';
import { resolveAuditChildEntry } from './audit-child-process';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  await assertRedisNoEviction(config.REDIS_URL);
  await assertRedisPersistence(config.REDIS_URL, {
    allowWithout: config.PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE,
    warn: (m) => process.stderr.write(`privaudit worker: warning: ${m}\n`),
  });
  resolveAuditChildEntry(); // fail now, not at the first job, if the child entry is missing
  // An application context: no HTTP server, only the queue consumer.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  process.stdout.write('privaudit worker ready\n');
}

bootstrap().catch((e: unknown) => {
  process.stderr.write(`privaudit worker failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
