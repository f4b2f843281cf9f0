import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { Public } from '../auth/roles.decorator';
import { RegistryWebhookService } from './registry-webhook.service';

// Authenticated by its HMAC signature (MODEL_REGISTRY_WEBHOOK_SECRET), not an API key: a registry cannot hold one.
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(@Inject(RegistryWebhookService) private readonly webhooks: RegistryWebhookService) {}

  @Post('model-registry')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary:
      "A model registry announces a new version (generic form or MLflow's): HMAC-SHA256 signed; unsigned, badly signed, stale (>5 min) or replayed calls get 401 and nothing is queued. A valid call queues a re-audit of the version under its model's plan (docs/service.md).",
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: { type: 'object' } })
  receive(@Req() req: IncomingMessage & { rawBody?: Buffer }) {
    return this.webhooks.receive(req.headers, req.rawBody);
  }
}
