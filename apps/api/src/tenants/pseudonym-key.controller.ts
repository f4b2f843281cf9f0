import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { READERS, Roles } from '../auth/roles.decorator';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { pseudonymKeyResource, PseudonymKeyService } from './pseudonym-key.service';

const setKeySchema = z.strictObject({
  /** The tenant's own key: 64 hex digits (openssl rand -hex 32). Never returned, never logged. */
  key: z.string().max(200),
  pseudonymizeByDefault: z.boolean().optional(),
});
const generateKeySchema = z.strictObject({ pseudonymizeByDefault: z.boolean().optional() });
const defaultSchema = z.strictObject({ pseudonymizeByDefault: z.boolean() });

@ApiTags('tenants')
@ApiSecurity('api-key')
@Controller('tenants/current/pseudonym-key')
export class PseudonymKeyController {
  constructor(@Inject(PseudonymKeyService) private readonly keys: PseudonymKeyService) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({
    summary:
      "The tenant's pseudonym key: its keyId (the hash reports name, never the key) and whether audits pseudonymise row ids by default. 404 when none is set.",
  })
  async get() {
    return pseudonymKeyResource(await this.keys.current());
  }

  @Put()
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      "Set the tenant's pseudonym key to one the tenant generated and keeps (64 hex digits). Stored sealed, never shown again; replaces (and destroys) any previous key: reports made under it keep its pseudonyms.",
  })
  @ApiBody({ schema: openApiSchema(setKeySchema) })
  async put(
    @Body(new ZodValidationPipe(setKeySchema)) body: z.infer<typeof setKeySchema>,
    @Req() req: AuthenticatedRequest,
  ) {
    const { record } = await this.keys.set(body.key, body.pseudonymizeByDefault ?? false, req.caller?.keyId ?? null);
    return pseudonymKeyResource(record);
  }

  @Post()
  @HttpCode(201)
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      'Generate a new pseudonym key for the tenant: the key is in this answer only (keep it: it is what maps your ids to the pseudonyms in reports). Replaces (and destroys) any previous key.',
  })
  @ApiBody({ schema: openApiSchema(generateKeySchema) })
  async generate(
    @Body(new ZodValidationPipe(generateKeySchema)) body: z.infer<typeof generateKeySchema>,
    @Req() req: AuthenticatedRequest,
  ) {
    const { record, generatedKey } = await this.keys.set(
      undefined,
      body.pseudonymizeByDefault ?? false,
      req.caller?.keyId ?? null,
    );
    // Shown once: stored sealed and never returned again.
    return { ...pseudonymKeyResource(record), key: generatedKey };
  }

  @Patch()
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({ summary: "Whether the tenant's audits pseudonymise row ids when they do not say (pseudonymizeIds)." })
  @ApiBody({ schema: openApiSchema(defaultSchema) })
  async patch(@Body(new ZodValidationPipe(defaultSchema)) body: z.infer<typeof defaultSchema>) {
    return pseudonymKeyResource(await this.keys.setDefault(body.pseudonymizeByDefault));
  }

  @Delete()
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      "Remove the tenant's pseudonym key and destroy its stored copy. Audits can no longer pseudonymise until a new key is set; existing reports keep their pseudonyms.",
  })
  async remove() {
    return pseudonymKeyResource(await this.keys.remove());
  }
}
