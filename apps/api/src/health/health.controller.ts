import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { ServerResponse } from 'node:http';
import { DatabaseStatus } from '../../../../libs/persistence/src/repositories/database-status';
import { AuditQueue } from '../../../../libs/queue/src/audit-queue';
import { Public } from '../auth/roles.decorator';

/** How long one dependency may take to answer a readiness check before it counts as down. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * Liveness and readiness in @nestjs/terminus' format ({status, info, error, details}). Liveness touches
 * nothing (the process answers HTTP: restart it only when it does not); readiness checks Postgres, Redis
 * and that every migration of this build is applied, and answers 503 when one is not, so a load balancer
 * or the worker's start-up waits for it.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(DatabaseStatus) private readonly database: DatabaseStatus,
    @Inject(AuditQueue) private readonly queue: AuditQueue,
  ) {}

  /** Kept for existing probes: the same as /health/live. */
  @Get()
  @Public()
  legacy() {
    return this.health.check([]);
  }

  @Get('live')
  @Public()
  @ApiResponse({ status: 200, description: 'the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @ApiResponse({ status: 200, description: 'Postgres and Redis answer and the schema is up to date' })
  @ApiResponse({ status: 503, description: 'a dependency is down; `error` names it' })
  async ready(@Res() res: ServerResponse): Promise<void> {
    let status = 200;
    let body: unknown;
    try {
      body = await this.health.check([
        () =>
          this.indicators
            .check('database')
            .attempt(() => this.database.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('redis')
            .attempt(() => this.queue.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('migrations')
            .attempt(async () => {
              if (await this.database.pendingMigrations()) throw new Error('migrations are pending');
            })
            .withTimeout(CHECK_TIMEOUT_MS),
      ]);
    } catch (e) {
      // Terminus reports a failed check as a 503 carrying the full result: answer it as is, not through the
      // domain-error filter (which would reshape it).
      if (!(e instanceof ServiceUnavailableException)) throw e;
      status = 503;
      body = e.getResponse();
    }
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  }
}
