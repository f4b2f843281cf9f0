import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles, WRITERS, READERS } from '../auth/roles.decorator';
import { auditResource } from '../audits/audit-resource';
import { AuditHistoryService } from '../audits/audit-history.service';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { auditPlanSchema, type AuditPlanBody } from './audit-plan.schema';
import { auditPlanResource, AuditPlanService } from './audit-plan.service';

const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('models')
export class ModelAuditsController {
  constructor(
    @Inject(AuditPlanService) private readonly plans: AuditPlanService,
    @Inject(AuditHistoryService) private readonly history: AuditHistoryService,
  ) {}

  @Put(':id/audit-plan')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      "Set the model's audit plan (replaced whole): the POST /audits fields but modelVersionId, plus maxRise (release gate), maxReferenceSeconds and reauditOnNewVersion. Each new version uploaded is then audited under it.",
  })
  @ApiBody({ schema: openApiSchema(auditPlanSchema) })
  async putPlan(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body(new ZodValidationPipe(auditPlanSchema)) body: AuditPlanBody,
  ) {
    return auditPlanResource(await this.plans.put(id, body));
  }

  @Get(':id/audit-plan')
  @Roles(...READERS)
  @ApiOperation({ summary: "The model's audit plan (404 when it has none)" })
  async getPlan(@Param('id', new ParseUUIDPipe()) id: string) {
    return auditPlanResource(await this.plans.get(id));
  }

  @Delete(':id/audit-plan')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: "Remove the model's audit plan: no more re-audits (past audits stay)" })
  async deletePlan(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.plans.delete(id);
  }

  @Get(':id/audits')
  @Roles(...READERS)
  @ApiOperation({
    summary:
      "The model's audits over all its versions, newest first, paginated (limit 1-100, default 20; offset): version, status, risk score and rating, gate",
  })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'offset', required: false })
  async listAudits(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query(new ZodValidationPipe(historyQuerySchema)) query: z.infer<typeof historyQuerySchema>,
  ) {
    const page = await this.history.history(id, query.limit, query.offset);
    return {
      items: page.items.map((e) => ({ ...auditResource(e.audit, null, e.gate), modelVersion: e.modelVersion })),
      total: page.total,
      limit: query.limit,
      offset: query.offset,
    };
  }
}
