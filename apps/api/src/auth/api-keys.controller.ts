import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { ApiKeyService, summarizeApiKey } from './api-key.service';
import { Roles } from './roles.decorator';

/** The longest overlap a rotation may leave both keys valid for: 30 days. */
const MAX_ROTATION_OVERLAP_SECONDS = 30 * 24 * 3600;

const createApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(ApiKeyRole),
  /** ISO 8601 instant after which the key answers 401; must lie in the future. Omitted: no expiry. */
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((v) => Date.parse(v) > Date.now(), 'must lie in the future')
    .optional(),
});

const rotateApiKeySchema = z
  .object({
    /** How long the old key keeps working after the rotation, in seconds (default one day). */
    overlapSeconds: z.number().int().min(0).max(MAX_ROTATION_OVERLAP_SECONDS).default(86_400),
  })
  .default({ overlapSeconds: 86_400 });

@ApiTags('api-keys')
@ApiSecurity('api-key')
@Controller('api-keys')
@Roles(ApiKeyRole.Admin)
export class ApiKeysController {
  constructor(@Inject(ApiKeyService) private readonly apiKeys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      'Create an API key (admin), optionally expiring (expiresAt). The key is shown once in the response and stored only hashed.',
  })
  @ApiBody({ schema: openApiSchema(createApiKeySchema) })
  async create(@Body(new ZodValidationPipe(createApiKeySchema)) body: z.infer<typeof createApiKeySchema>) {
    const { record, key } = await this.apiKeys.issue(
      body.name,
      body.role,
      body.expiresAt !== undefined ? new Date(body.expiresAt) : undefined,
    );
    return { ...summarizeApiKey(record), key };
  }

  @Get()
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({ summary: 'List API keys (admin): status, expiry, last use; never the keys or their hashes.' })
  list() {
    return this.apiKeys.list();
  }

  @Delete(':id')
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary: 'Revoke an API key (admin): its next request gets 401. The last active admin key cannot be revoked.',
  })
  revoke(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.apiKeys.revoke(id);
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      'Rotate an API key (admin): a new key with the same name and role, shown once; the old key keeps working for overlapSeconds (default 86400), then expires.',
  })
  @ApiBody({ schema: openApiSchema(rotateApiKeySchema) })
  async rotate(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body(new ZodValidationPipe(rotateApiKeySchema)) body: z.infer<typeof rotateApiKeySchema>,
  ) {
    const { record, key, previous } = await this.apiKeys.rotate(id, body.overlapSeconds);
    return { ...summarizeApiKey(record), key, previous };
  }
}
