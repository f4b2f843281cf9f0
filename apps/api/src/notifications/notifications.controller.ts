import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { READERS, Roles, WRITERS } from '../auth/roles.decorator';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import {
  deliveryResource,
  NotificationService,
  notificationSubscriptionSchema,
  subscriptionResource,
  type NotificationSubscriptionBody,
} from './notification.service';

const deliveriesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('models')
export class NotificationsController {
  constructor(@Inject(NotificationService) private readonly notifications: NotificationService) {}

  @Post(':id/notifications')
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      "Subscribe a URL to the model's audit notifications (events audit.completed, audit.failed, audit.rating_changed, audit.gate_failed; default all): signed POSTs (Privaudit-Signature, docs/service.md). The URL must be https to a public address, or an allow-listed host (OUTBOUND_ALLOW_HOSTS); a refused one is 422. The signing secret is generated unless supplied, and returned in this answer only.",
  })
  @ApiBody({ schema: openApiSchema(notificationSubscriptionSchema) })
  async subscribe(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body(new ZodValidationPipe(notificationSubscriptionSchema)) body: NotificationSubscriptionBody,
  ) {
    const { subscription, generatedSecret } = await this.notifications.subscribe(id, body);
    return {
      ...subscriptionResource(subscription),
      // Shown once: it is stored encrypted and never returned again.
      ...(generatedSecret !== null ? { secret: generatedSecret } : {}),
    };
  }

  @Get(':id/notifications')
  @Roles(...READERS)
  @ApiOperation({ summary: "The model's notification subscriptions (never their secrets)" })
  async list(@Param('id', new ParseUUIDPipe()) id: string) {
    return (await this.notifications.list(id)).map(subscriptionResource);
  }

  @Get(':id/notifications/:subscriptionId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'One notification subscription (never its secret)' })
  async get(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('subscriptionId', new ParseUUIDPipe()) subscriptionId: string,
  ) {
    return subscriptionResource(await this.notifications.get(id, subscriptionId));
  }

  @Get(':id/notifications/:subscriptionId/deliveries')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      "The subscription's delivery log, newest first (limit 1-100, default 50): event, audit, status (pending, delivered, failed), attempts, last error code and HTTP status",
  })
  @ApiQuery({ name: 'limit', required: false })
  async deliveries(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('subscriptionId', new ParseUUIDPipe()) subscriptionId: string,
    @Query(new ZodValidationPipe(deliveriesQuerySchema)) query: z.infer<typeof deliveriesQuerySchema>,
  ) {
    return (await this.notifications.deliveries(id, subscriptionId, query.limit)).map(deliveryResource);
  }

  @Delete(':id/notifications/:subscriptionId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Remove a subscription (its pending deliveries are dropped)' })
  async unsubscribe(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('subscriptionId', new ParseUUIDPipe()) subscriptionId: string,
  ): Promise<void> {
    await this.notifications.unsubscribe(id, subscriptionId);
  }
}
