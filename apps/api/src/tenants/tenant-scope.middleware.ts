import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runInOpenScope } from '../../../../libs/persistence/src/tenancy/tenant-context';

/**
 * Opens the request's tenant scope (AsyncLocalStorage) before anything else of it runs; ApiKeyGuard sets its tenant
 * once the key is known. Until then a tenant-scoped query fails (no tenant), and a public route never gets one.
 */
@Injectable()
export class TenantScopeMiddleware implements NestMiddleware {
  use(_req: IncomingMessage, _res: ServerResponse, next: () => void): void {
    runInOpenScope(next);
  }
}
