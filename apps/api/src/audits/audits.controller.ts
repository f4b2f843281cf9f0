import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { IMPLEMENTED_ATTACKS } from '../../../../libs/engine/src/membership/attack-registry';
import type { AttackId } from '../../../../libs/engine/src/types';
import { Roles, WRITERS } from '../auth/roles.decorator';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { AuditCommissionService } from './audit-commission.service';
import { auditResource, findingResource } from './audit-resource';

const commissionAuditSchema = z.object({
  modelVersionId: z.uuid(),
  membersDatasetId: z.uuid(),
  nonMembersDatasetId: z.uuid(),
  populationDatasetId: z.uuid().optional(),
  attacks: z
    .array(z.enum(IMPLEMENTED_ATTACKS as [AttackId, ...AttackId[]]))
    .min(1)
    .optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  referenceModels: z.number().int().min(1).max(256).optional(),
});

@ApiTags('audits')
@ApiSecurity('api-key')
@Controller('audits')
export class AuditsController {
  constructor(@Inject(AuditCommissionService) private readonly audits: AuditCommissionService) {}

  @Post()
  @HttpCode(201)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Commission a membership-inference audit of a model version (409 if one is already queued or running)' })
  @ApiBody({ schema: openApiSchema(commissionAuditSchema) })
  async commission(@Body(new ZodValidationPipe(commissionAuditSchema)) body: z.infer<typeof commissionAuditSchema>) {
    return auditResource(await this.audits.commission(body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Audit status, progress, phase, failure reason and risk score' })
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return auditResource(await this.audits.get(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(...WRITERS)
  async cancel(@Param('id', new ParseUUIDPipe()) id: string) {
    return auditResource(await this.audits.cancel(id));
  }

  @Get(':id/findings')
  @ApiOperation({ summary: 'Findings per attack: severity, aggregate metrics, most exposed row ids' })
  async findings(@Param('id', new ParseUUIDPipe()) id: string) {
    return (await this.audits.findings(id)).map(findingResource);
  }

  @Get(':id/report')
  @ApiOperation({ summary: 'The audit report JSON (schemaVersion 1)' })
  report(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.audits.report(id);
  }
}
