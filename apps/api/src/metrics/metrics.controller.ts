import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { Public } from '../auth/roles.decorator';
import { ServiceMetrics } from './service-metrics';

/** Prometheus text format. Public like /health: counts only, no ids, no data. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(ServiceMetrics) private readonly metrics: ServiceMetrics) {}

  @Get()
  @Public()
  async scrape(@Res() res: ServerResponse): Promise<void> {
    const text = await this.metrics.text();
    res.statusCode = 200;
    res.setHeader('content-type', this.metrics.contentType);
    res.end(text);
  }
}
