import { Controller, Get, Inject, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { READERS, Roles } from '../auth/roles.decorator';
import { DataDeletionService } from './data-deletion.service';

@ApiTags('deletion-receipts')
@ApiSecurity('api-key')
@Controller('deletion-receipts')
export class DeletionReceiptsController {
  constructor(@Inject(DataDeletionService) private readonly deletions: DataDeletionService) {}

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ summary: 'A deletion receipt (what a DELETE destroyed: ids, hashes, key ids, when, by whom).' })
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.deletions.receipt(id);
  }
}
