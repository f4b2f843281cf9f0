import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { DataDeletionService } from '../deletion/data-deletion.service';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
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

// Query parameters of an upload (the body is the ONNX bytes): the classes of a labels-only model.
const uploadVersionQuery = z.object({
  numClasses: z.coerce.number().int().min(2).max(100_000).optional(),
  // ?classNames=a&classNames=b (one parameter per class, in the model's output order).
  classNames: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().min(1).max(200)).min(2).max(100_000))
    .optional(),
});

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('models')
export class ModelsController {
  constructor(
    @Inject(ModelRegistryService) private readonly registry: ModelRegistryService,
    @Inject(AuditPlanService) private readonly plans: AuditPlanService,
    @Inject(DataDeletionService) private readonly deletions: DataDeletionService,
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

  @Delete(':id')
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Delete a model with its versions, files, audit plan and audits (findings, reports); answers the deletion receipt (409 while one of its audits is active)',
  })
  delete(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthenticatedRequest) {
    return this.deletions.deleteModel(id, req.caller?.keyId ?? null);
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
  @ApiQuery({
    name: 'numClasses',
    required: false,
    schema: { type: 'integer', minimum: 2 },
    description: 'Number of classes: required for a labels-only model (integer class-index output)',
  })
  @ApiQuery({
    name: 'classNames',
    required: false,
    schema: { type: 'array', items: { type: 'string' } },
    description: "Class names in the model's output order, one parameter per class (their count is numClasses)",
  })
  async uploadVersion(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query(new ZodValidationPipe(uploadVersionQuery)) query: z.infer<typeof uploadVersionQuery>,
    @Req() req: IncomingMessage,
  ) {
    const version = await this.registry.uploadVersion(id, req, query);
    return { ...this.registry.resource(version), reaudit: await this.plans.reaudit(id, version.id, 'new-version') };
  }

  @Post(':id/endpoint-versions')
  @HttpCode(201)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Register a remote prediction endpoint as a model version (JSON: url, protocol kserve-v2|tf-serving|mlflow|json, headers, output, numClasses or classNames, nFeatures, modelName, inputName, json {requestTemplate, responsePath}, batchSize). The destination must be public unicast over https, or an allow-listed host (OUTBOUND_ALLOW_HOSTS); header values are stored encrypted and never returned. A host that is not allow-listed must prove ownership (see `ownership`) before it is audited.',
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: { type: 'object' } })
  async registerEndpoint(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    const version = await this.registry.registerEndpointVersion(id, body);
    return { ...version, reaudit: await this.plans.reaudit(id, version.id, 'new-version') };
  }

  @Get(':id/versions')
  @Roles(...READERS)
  async listVersions(@Param('id', new ParseUUIDPipe()) id: string) {
    return (await this.registry.listVersions(id)).map((v) => this.registry.resource(v));
  }
}

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('model-versions')
export class ModelVersionsController {
  constructor(
    @Inject(ModelRegistryService) private readonly registry: ModelRegistryService,
    @Inject(DataDeletionService) private readonly deletions: DataDeletionService,
  ) {}

  @Delete(':id')
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Delete one model version with its file (unless shared) and audits; answers the deletion receipt (409 while one of its audits is active)',
  })
  delete(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthenticatedRequest) {
    return this.deletions.deleteModelVersion(id, req.caller?.keyId ?? null);
  }

  @Get(':id')
  @Roles(...READERS)
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.registry.resource(await this.registry.getVersion(id));
  }

  @Post(':id/ownership/verify')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      "Check the endpoint owner's proof: the version's ownership token served at <origin>/.well-known/privaudit-verification/<id> (see the version's `ownership`). One GET, no query spent.",
  })
  verifyOwnership(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.registry.verifyOwnership(id);
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
    return this.registry.setPreprocessing(id, req.rawBody).then((v) => this.registry.resource(v));
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
