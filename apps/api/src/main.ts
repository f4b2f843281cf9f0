import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '../../../libs/config/src/load-config';
import { assertRedisNoEviction } from '../../../libs/queue/src/redis-eviction-policy';
import { assertRedisPersistence } from '../../../libs/queue/src/redis-persistence';
import { apiProcessSignals, isApiPrimary, runApiPrimary } from './api-processes';
import { ApiModule } from './app.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  if (isApiPrimary(config.API_PROCESSES)) {
    runApiPrimary({
      processes: config.API_PROCESSES,
      stopTimeoutMs: (config.SHUTDOWN_GRACE_SECONDS + 30) * 1000,
      log: (line) => process.stdout.write(`privaudit api: ${line}\n`),
    });
    return;
  }
  await assertRedisNoEviction(config.REDIS_URL);
  await assertRedisPersistence(config.REDIS_URL, {
    allowWithout: config.PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE,
    warn: (m) => process.stderr.write(`privaudit api: warning: ${m}\n`),
  });
  // rawBody: a preprocessing spec is hashed as the bytes sent (PUT /model-versions/:id/preprocessing).
  const app = await NestFactory.create(ApiModule.forRoot(config), { bufferLogs: true, rawBody: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks(apiProcessSignals());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('privaudit')
      .setDescription(
        'Privacy-attack audits of machine-learning models: membership inference, with findings, risk score and report.',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  // Node's default request timeout (300 s) would cut off a large upload on a slow link.
  const server = app.getHttpServer() as import('node:http').Server;
  server.requestTimeout = config.REQUEST_TIMEOUT_SECONDS * 1000;
  server.headersTimeout = Math.min(60_000, server.requestTimeout);
  await app.listen(config.PORT);
  // Tests start the api on port 0 and read the chosen port from this line.
  process.stdout.write(`privaudit api listening on port ${(app.getHttpServer().address() as { port: number }).port}\n`);
}

bootstrap().catch((e: unknown) => {
  process.stderr.write(`privaudit api failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
