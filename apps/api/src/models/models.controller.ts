import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { Roles, WRITERS, READERS } from '../auth/roles.decorator';
import { openApiSchema, ZodValidationPipe } from '../http/zod-validation.pipe';
import { AuditPlanService } from '../audit-plans/audit-plan.service';
import { ModelRegistryService } from './model-registry.service';

const registerModelSchema = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
});

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('models')
export class ModelsController {
  constructor(
    @Inject(ModelRegistryService) private readonly registry: ModelRegistryService,
    @Inject(AuditPlanService) private readonly plans: AuditPlanService,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Register a model (its versions are uploaded separately)' })
  @ApiBody({ schema: openApiSchema(registerModelSchema) })
  register(@Body(new ZodValidationPipe(registerModelSchema)) body: z.infer<typeof registerModelSchema>) {
    return this.registry.register(body.name, body.description ?? null);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'List registered models' })
  list() {
    return this.registry.list();
  }

  @Get(':id')
  @Roles(...READERS)
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.registry.get(id);
  }

  @Post(':id/versions')
  @HttpCode(201)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Upload a model version: the raw ONNX bytes as the body. Validated (parse, shapes, no external data, operator domains, size) before anything is stored. ' +
      "With an audit plan, a re-audit of the version is queued under it: `reaudit` is {status: 'queued', auditId}, {status: 'not-queued', error} (the version does not fit the plan), 'no-plan' or 'disabled'.",
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  async uploadVersion(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: IncomingMessage) {
    const version = await this.registry.uploadVersion(id, req);
    return { ...version, reaudit: await this.plans.reaudit(id, version.id, 'new-version') };
  }

  @Get(':id/versions')
  @Roles(...READERS)
  listVersions(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.registry.listVersions(id);
  }
}

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('model-versions')
export class ModelVersionsController {
  constructor(@Inject(ModelRegistryService) private readonly registry: ModelRegistryService) {}

  @Get(':id')
  @Roles(...READERS)
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.registry.getVersion(id);
  }

  @Put(':id/preprocessing')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      "Set the version's preprocessing spec (JSON body, docs/preprocessing.md): its audits then take raw tables (string categories, missing cells). Checked against the model's input width; set once.",
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: { type: 'object' } })
  setPreprocessing(
    @Param('id', new ParseUUIDPipe()) id: string,
    // Nest keeps the body's bytes (main.ts rawBody): the spec's sha256 is of what was sent.
    @Req() req: IncomingMessage & { rawBody?: Buffer },
  ) {
    return this.registry.setPreprocessing(id, req.rawBody);
  }

  @Get(':id/preprocessing')
  @Roles(...READERS)
  @ApiOperation({
    summary: "The version's preprocessing spec, as JSON (the stored bytes are what preprocessing.sha256 hashes)",
  })
  getPreprocessing(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.registry.getPreprocessing(id);
  }
}
