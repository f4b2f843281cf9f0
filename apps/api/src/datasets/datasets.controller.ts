import { Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { DataDeletionService } from '../deletion/data-deletion.service';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { DatasetRole } from '../../../../libs/persistence/src/records';
import { Roles, WRITERS, READERS } from '../auth/roles.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { DatasetCatalogService } from './dataset-catalog.service';

const columnName = z.string().min(1).max(200);
const uploadDatasetQuery = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._ -]+$/, 'letters, digits, space, dot, dash and underscore only'),
  role: z.enum(DatasetRole),
  labelColumn: columnName,
  idColumn: columnName.optional(),
});

@ApiTags('datasets')
@ApiSecurity('api-key')
@Controller('datasets')
export class DatasetsController {
  constructor(
    @Inject(DatasetCatalogService) private readonly catalog: DatasetCatalogService,
    @Inject(DataDeletionService) private readonly deletions: DataDeletionService,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Upload a CSV sample (raw text/csv body). Schema inferred and the file validated as the audit will read it.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: 'name', required: true, schema: { type: 'string' } })
  @ApiQuery({ name: 'role', required: true, schema: { type: 'string', enum: Object.values(DatasetRole) } })
  @ApiQuery({ name: 'labelColumn', required: true, schema: { type: 'string' } })
  @ApiQuery({ name: 'idColumn', required: false, schema: { type: 'string' } })
  upload(
    @Query(new ZodValidationPipe(uploadDatasetQuery)) query: z.infer<typeof uploadDatasetQuery>,
    @Req() req: IncomingMessage,
  ) {
    return this.catalog.upload(query, req);
  }

  @Get()
  @Roles(...READERS)
  list() {
    return this.catalog.list();
  }

  @Delete(':id')
  @Roles(...WRITERS)
  @ApiOperation({
    summary:
      'Delete a dataset: its key destroyed, its file removed, the audits and reference models derived from it deleted; answers the deletion receipt (409 while an active audit uses it)',
  })
  delete(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthenticatedRequest) {
    return this.deletions.deleteDataset(id, req.caller?.keyId ?? null);
  }

  @Get(':id')
  @Roles(...READERS)
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.catalog.get(id);
  }
}
