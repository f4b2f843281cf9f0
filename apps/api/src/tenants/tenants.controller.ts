import { Body, Controller, Get, HttpCode, Inject, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyRole } from '../../../../libs/persistence/src/records';
import { INSTALLATION_ADMIN, READERS, Roles } from '../auth/roles.decorator';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { TenantService } from './tenant.service';

const createTenantSchema = z.object({
  name: z.string().trim().min(1).max(200),
  /** Quotas per calendar month (UTC); omitted = the installation's defaults (TENANT_*_PER_MONTH). */
  referenceSecondsPerMonth: z.number().positive().optional(),
  queriesPerMonth: z.number().int().positive().optional(),
  /** Days after which datasets and finished audits are purged; omitted = the installation's TENANT_RETENTION_DAYS. */
  retentionDays: z.number().int().min(1).max(36_500).optional(),
});

/** PATCH /tenants/current: what a tenant's admin may change of its own tenant. */
const updateTenantSchema = z
  .object({
    /** 1-36500 days; null = back to the installation's default (TENANT_RETENTION_DAYS; unset: kept until deleted). */
    retentionDays: z.number().int().min(1).max(36_500).nullable(),
  })
  .strict();

@ApiTags('tenants')
@ApiSecurity('api-key')
@Controller('tenants')
export class TenantsController {
  constructor(@Inject(TenantService) private readonly tenants: TenantService) {}

  @Post()
  @HttpCode(201)
  @Roles(INSTALLATION_ADMIN)
  @ApiOperation({
    summary:
      "Create a tenant and its first admin key (the installation's admin only: the bootstrap key). The key is shown once. Everything a tenant's keys create is theirs alone (row-level security).",
  })
  @ApiBody({ schema: openApiSchema(createTenantSchema) })
  create(@Body(new ZodValidationPipe(createTenantSchema)) body: z.infer<typeof createTenantSchema>) {
    return this.tenants.create(
      body.name,
      body.referenceSecondsPerMonth ?? null,
      body.queriesPerMonth ?? null,
      body.retentionDays ?? null,
    );
  }

  @Get('current')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      "The caller's tenant: its quotas (own or the installation's), this month's usage, and its retention period (retentionDays, null = kept until deleted; retentionSource).",
  })
  current() {
    return this.tenants.current();
  }

  @Patch('current')
  @Roles(ApiKeyRole.Admin)
  @ApiOperation({
    summary:
      "Change the caller's tenant (its admins): retentionDays, after which its datasets and finished audits are purged (null: the installation's default).",
  })
  @ApiBody({ schema: openApiSchema(updateTenantSchema) })
  update(@Body(new ZodValidationPipe(updateTenantSchema)) body: z.infer<typeof updateTenantSchema>) {
    return this.tenants.setRetention(body.retentionDays);
  }
}
