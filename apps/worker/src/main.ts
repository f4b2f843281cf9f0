import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '../../../libs/config/src/load-config';
import { assertRedisNoEviction } from '../../../libs/queue/src/redis-eviction-policy';
import { assertRedisPersistence } from '../../../libs/queue/src/redis-persistence';
import { resolveAuditChildEntry } from './audit-child-process';
import { hostCapabilities, sandboxOptionsOf } from './model-sandbox';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  await assertRedisNoEviction(config.REDIS_URL);
  await assertRedisPersistence(config.REDIS_URL, {
    allowWithout: config.PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE,
    warn: (m) => process.stderr.write(`privaudit worker: warning: ${m}\n`),
  });
  resolveAuditChildEntry(); // fail now, not at the first job, if the child entry is missing
  // Say once what fences the model processes on this host (docs/security.md); never a reason not to start.
  const host = hostCapabilities();
  const sandbox = sandboxOptionsOf(config);
  process.stdout.write(
    `privaudit worker: model processes run with a scrubbed environment and Node's permission model; ${
      host.prlimit
        ? `limits ${sandbox.addressSpaceMb} MB address space, ${sandbox.cpuSeconds} s CPU`
        : 'WARNING: prlimit not found, no address-space or CPU limit (install util-linux)'
    }; ${host.nice && sandbox.nice > 0 ? `CPU priority nice ${sandbox.nice}` : 'CPU priority of the worker'}; ${
      !sandbox.isolateNetwork
        ? 'network isolation off (AUDIT_CHILD_ISOLATE_NETWORK=false)'
        : host.unshareNet
          ? 'no network (own network namespace) except for remote-endpoint audits'
          : 'network isolation unavailable here (no permission to create a network namespace): restrict egress in the deployment'
    }\n`,
  );
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
