// What the api's request logs (pino-http) may never hold: secrets in headers, and any request or response body,
// which can carry records, secrets or endpoint credentials (issue 12, "Redaction"). pino-http's serializers do not
// log bodies today; these paths make sure no later serializer, log call or framework change can, at any of the
// depths where a body usually travels (req.body, req.raw.body, { body }, { request: { body } }, err.body).
import type { Params } from 'nestjs-pino';

export const REDACTION_CENSOR = '[redacted]';

export const REDACTED_LOG_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-privaudit-signature"]',
  'req.headers["x-mlflow-signature"]',
  'res.headers["set-cookie"]',
  'req.body',
  'req.raw.body',
  'req.rawBody',
  'res.body',
  'body',
  'rawBody',
  '*.body',
  '*.rawBody',
  'err.body',
  'err.response.body',
  // The query string can carry a key in an endpoint URL given as a parameter; logged paths keep only the path.
  'req.query',
];

/** The api's pino-http options (app.module.ts, and the test that checks them). */
export function apiLoggerOptions(level: string): Params {
  return {
    pinoHttp: {
      level,
      redact: { paths: REDACTED_LOG_PATHS, censor: REDACTION_CENSOR },
      // A request is logged as its id, method and path, a response as its status (pino-http adds responseTime):
      // never headers, so no secret header reaches a log line, and pino-http's per-request child logger (made for
      // every request, whatever the level) serialises and redacts a few fields instead of every header (issue 11).
      // The serializers read the request and response themselves: wrapped (pino-http's default), each would first
      // get pino-std-serializers' full copy of them, headers included, only to keep three fields of it.
      wrapSerializers: false,
      serializers: {
        // The logged URL (express's originalUrl, as pino-std-serializers takes it) without its query string
        // (values of query parameters are the caller's data).
        req: (req: { id?: unknown; method?: string; url?: string; originalUrl?: string }) => {
          const url = req.originalUrl || req.url;
          return {
            id: req.id,
            method: req.method,
            url: typeof url === 'string' ? (url.split('?')[0] as string) : url,
          };
        },
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
