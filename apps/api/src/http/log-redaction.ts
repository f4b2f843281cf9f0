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
      serializers: {
        // The logged URL without its query string (values of query parameters are the caller's data).
        req: (req: { url?: string; [k: string]: unknown }) => ({
          ...req,
          url: typeof req.url === 'string' ? (req.url.split('?')[0] as string) : req.url,
        }),
      },
    },
  };
}
