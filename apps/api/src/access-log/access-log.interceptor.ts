// Writes one access-log entry per successful request of an authenticated caller that touches a resource: who
// (key id and role), what (action, resource type and id, method, path) and the status. The entry is written before
// the response leaves: if the log cannot be written, the request fails instead of going unrecorded (entries of
// concurrent requests share one INSERT: access-log-group-commit.ts). Public routes
// (health, metrics) have no caller and are not logged. Never a body, a query string or a data value.
import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { from, mergeMap, type Observable } from 'rxjs';
import {
  AccessLogRepository,
  type AccessLogEntry,
} from '../../../../libs/persistence/src/repositories/access-log.repository';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { runInTenant } from '../../../../libs/persistence/src/tenancy/tenant-context';
import { AccessLogGroupCommit } from './access-log-group-commit';

type RoutedRequest = AuthenticatedRequest & {
  params?: Record<string, string>;
  route?: { path?: string };
  originalUrl?: string;
};

/** create / view / export / update / delete, from the method and the route. */
export function accessAction(method: string, routePath: string, hasId: boolean): AccessLogEntry['action'] {
  switch (method) {
    case 'DELETE':
      return 'delete';
    case 'PUT':
    case 'PATCH':
      return 'update';
    case 'POST':
      return hasId ? 'update' : 'create';
    default:
      // The report and the audit's files (surrogate model, reconstructions) leave the service: an export.
      return /\/report(\.(pdf|html))?$|\/artifacts\/:name$/.test(routePath) ? 'export' : 'view';
  }
}

@Injectable()
export class AccessLogInterceptor implements NestInterceptor {
  private readonly entries: AccessLogGroupCommit;

  constructor(@Inject(AccessLogRepository) log: AccessLogRepository) {
    // Explicitly in the entries' tenant: the batch is written outside any request's async context.
    this.entries = new AccessLogGroupCommit((tenantId, batch) => runInTenant(tenantId, () => log.appendMany(batch)));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<RoutedRequest>();
    const res = http.getResponse<ServerResponse>();
    return next.handle().pipe(
      mergeMap((body: unknown) =>
        from(
          (async () => {
            const caller = req.caller;
            if (caller) await this.entries.append(caller.tenantId, entryOf(req, res, caller, body));
            return body;
          })(),
        ),
      ),
    );
  }
}

function entryOf(
  req: RoutedRequest,
  res: ServerResponse,
  caller: NonNullable<AuthenticatedRequest['caller']>,
  body: unknown,
): AccessLogEntry {
  const method = (req.method ?? 'GET').toUpperCase();
  const path = ((req.originalUrl ?? req.url ?? '/').split('?')[0] as string).slice(0, 500);
  const routePath = req.route?.path ?? path;
  const idParam = req.params?.id;
  const createdId =
    typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string'
      ? (body as { id: string }).id
      : undefined;
  return {
    keyId: caller.keyId,
    role: caller.role,
    action: accessAction(method, routePath, idParam !== undefined),
    resourceType: path.split('/').filter(Boolean)[0] ?? '',
    resourceId: idParam ?? (method === 'POST' ? (createdId ?? null) : null),
    method,
    path,
    status: res.statusCode,
  };
}
