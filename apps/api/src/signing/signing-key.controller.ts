import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { KeyObject } from 'node:crypto';
import { REPORT_SIGNING_KEY } from '../../../../libs/config/src/report-signing-key';
import { publicKeyPem, signingKeyId } from '../../../../libs/reports/src/index';
import { Public } from '../auth/roles.decorator';
import { ServiceError, ServiceErrorCode } from '../http/service-error';

// The public half of the service's report-signing key, so whoever holds a report can pin it:
// `privaudit verify report.json --public-key <saved publicKeyPem>`. Public: it is a public key.
@ApiTags('reports')
@Controller('signing-key')
export class SigningKeyController {
  constructor(@Inject(REPORT_SIGNING_KEY) private readonly key: KeyObject | null) {}

  @Get()
  @Public()
  @ApiOperation({ summary: "The service's Ed25519 report-signing public key (PEM) and key id (404 when unset)" })
  get() {
    if (!this.key) {
      throw new ServiceError(
        ServiceErrorCode.SigningNotConfigured,
        'this service signs no reports (REPORT_SIGNING_KEY_FILE is unset)',
      );
    }
    return { algorithm: 'Ed25519', keyId: signingKeyId(this.key), publicKeyPem: publicKeyPem(this.key) };
  }
}
