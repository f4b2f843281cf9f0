import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import { AccessLogRepository } from '../../../../libs/persistence/src/repositories/access-log.repository';
import { Roles } from '../auth/roles.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';

const accessLogQuerySchema = z.object({
  resourceType: z.string().min(1).max(100).optional(),
  resourceId: z.string().min(1).max(200).optional(),
  keyId: z.uuid().optional(),
  action: z.enum(['create', 'view', 'export', 'update', 'delete']).optional(),
  /** The previous page's last id: entries older than it. */
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'an entry id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

@ApiTags('access-log')
@ApiSecurity('api-key')
@Controller('access-log')
export class AccessLogController {
  constructor(@Inject(AccessLogRepository) private readonly log: AccessLogRepository) {}

  @Get()
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      'Who created, viewed, exported, changed or deleted which resource (admin): newest first, filtered by resourceType, resourceId, keyId or action; page with `before`.',
  })
  async list(@Query(new ZodValidationPipe(accessLogQuerySchema)) q: z.infer<typeof accessLogQuerySchema>) {
    const entries = await this.log.query({
      ...(q.resourceType !== undefined ? { resourceType: q.resourceType } : {}),
      ...(q.resourceId !== undefined ? { resourceId: q.resourceId } : {}),
      ...(q.keyId !== undefined ? { keyId: q.keyId } : {}),
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.before !== undefined ? { beforeId: q.before } : {}),
      limit: q.limit,
    });
    const last = entries.at(-1);
    return { entries, ...(entries.length === q.limit && last ? { next: last.id } : {}) };
  }
}
