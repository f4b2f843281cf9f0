import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { INSTALLATION_ADMIN, READERS, Roles } from '../auth/roles.decorator';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { TenantService } from './tenant.service';

const createTenantSchema = z.object({
  name: z.string().trim().min(1).max(200),
  /** Quotas per calendar month (UTC); omitted = the installation's defaults (TENANT_*_PER_MONTH). */
  referenceSecondsPerMonth: z.number().positive().optional(),
  queriesPerMonth: z.number().int().positive().optional(),
});

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
    return this.tenants.create(body.name, body.referenceSecondsPerMonth ?? null, body.queriesPerMonth ?? null);
  }

  @Get('current')
  @Roles(...READERS)
  @ApiOperation({ summary: "The caller's tenant: its quotas (own or the installation's) and this month's usage." })
  current() {
    return this.tenants.current();
  }
}
