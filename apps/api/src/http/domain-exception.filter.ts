import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EngineError } from '../../../../libs/engine/src/errors';
import { engineErrorStatus, SERVICE_ERROR_STATUS } from './error-status';
import { DataEncryptionUnavailableError } from '../../../../libs/persistence/src/encryption/master-keyring';
import { SealedDataError } from '../../../../libs/persistence/src/encryption/sealed-stream';
import { ServiceError, ServiceErrorCode } from './service-error';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A request that declared a body (Content-Length or chunked) which nobody has read to its end. */
export function bodyLeftUnread(req: IncomingMessage | undefined): boolean {
  if (!req) return false;
  const declared = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  return declared && !req.readableEnded;
}

/** The one place errors become HTTP responses: {statusCode, code, message, details?}. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('DomainExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const req = host.switchToHttp().getRequest<IncomingMessage>();
    const body = this.toBody(exception);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = body.statusCode;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    // A request refused before its body was read (413, an aborted upload, or a 401/403/404/415 on an upload route):
    // close the connection instead of letting Node read the rest of the body to keep it alive.
    if (body.statusCode === 413 || body.code === 'UPLOAD_ABORTED' || bodyLeftUnread(req)) {
      res.setHeader('connection', 'close');
    }
    res.end(JSON.stringify(body));
  }

  private toBody(exception: unknown): ErrorBody {
    // Stored data that does not open: say which and why (the messages name ids, never a value).
    if (exception instanceof DataEncryptionUnavailableError)
      exception = new ServiceError(ServiceErrorCode.DataEncryptionUnavailable, exception.message);
    else if (exception instanceof SealedDataError)
      exception = new ServiceError(ServiceErrorCode.StoredDataUnreadable, exception.message);
    if (exception instanceof ServiceError) {
      return {
        statusCode: SERVICE_ERROR_STATUS[exception.code],
        code: exception.code,
        message: exception.message,
        ...(exception.details ? { details: exception.details } : {}),
      };
    }
    if (exception instanceof EngineError) {
      return {
        statusCode: engineErrorStatus(exception.code),
        code: exception.code,
        message: exception.message,
        // `field`: the request field at fault, when the engine names the option (e.g. sensitiveColumn, queryBudget).
        ...(exception.location
          ? {
              details: {
                location: exception.location,
                ...(exception.location.option !== undefined ? { field: exception.location.option } : {}),
              },
            }
          : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { statusCode: status, code: `HTTP_${status}`, message: exception.message };
    }
    // Unexpected: log the stack (no request data in it), answer without internals.
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'internal error' };
  }
}
