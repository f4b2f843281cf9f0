import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { ApiKeyService } from './api-key.service';
import { Roles } from './roles.decorator';

const createApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(ApiKeyRole),
});

@ApiTags('api-keys')
@ApiSecurity('api-key')
@Controller('api-keys')
export class ApiKeysController {
  constructor(@Inject(ApiKeyService) private readonly apiKeys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({ summary: 'Create an API key (admin). The key is shown once in the response and stored only hashed.' })
  @ApiBody({ schema: openApiSchema(createApiKeySchema) })
  async create(@Body(new ZodValidationPipe(createApiKeySchema)) body: z.infer<typeof createApiKeySchema>) {
    const { record, key } = await this.apiKeys.issue(body.name, body.role);
    return {
      id: record.id,
      name: record.name,
      role: record.role,
      prefix: record.prefix,
      createdAt: record.createdAt,
      key,
    };
  }
}
