// The api's request logging, run for real: pino-http with the api's options on a loopback server. A request with
// secrets in its headers, a record in its JSON body and values in its query string leaves none of them in the log,
// even when a handler logs the request, its body, or an error carrying the body.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import pinoHttp, { type Options as PinoHttpOptions } from 'pino-http';
import { apiLoggerOptions } from './log-redaction';

const RECORD = { row_id: 'alice@example.org', ssn: '078-05-1120', income: 98123.45 };
const API_KEY = 'pa_supersecretkeyvalue0123456789abcdef';

describe('api log redaction', () => {
  let server: Server;
  let lines: string[];
  beforeAll(async () => {
    lines = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString('utf8')), done()) });
    const options = apiLoggerOptions('info').pinoHttp as PinoHttpOptions;
    const log = pinoHttp({ ...options, logger: pino({ level: 'info', redact: options.redact }, sink) });
    server = createServer((req: IncomingMessage & { body?: unknown; log?: pino.Logger }, res) => {
      log(req, res);
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const body: unknown = JSON.parse(text);
        req.body = body; // as Nest's body parser leaves it
        req.log?.info({ req, body, request: { body } }, 'handled');
        const err = Object.assign(new Error('refused'), { body });
        req.log?.error({ err }, 'failed');
        res.statusCode = 422;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  it('logs method, path and status but no body, header secret or query value', async () => {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/datasets?name=${encodeURIComponent(RECORD.row_id)}`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(RECORD),
    });
    expect(res.status).toBe(422);
    await new Promise((r) => setTimeout(r, 50));
    const out = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(3); // handled, failed, request completed
    for (const secret of [RECORD.row_id, encodeURIComponent(RECORD.row_id), RECORD.ssn, String(RECORD.income), API_KEY])
      expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
    const completed = lines
      .map((l) => JSON.parse(l) as { msg?: string; req?: unknown; res?: unknown })
      .find((l) => l.msg === 'request completed');
    expect(completed?.req).toMatchObject({ method: 'POST', url: '/datasets' });
    expect(completed?.res).toMatchObject({ statusCode: 422 });
    // Requests and responses are logged without their headers (only id, method, path; status).
    expect(Object.keys(completed?.req as object).sort()).toEqual(['id', 'method', 'url']);
    expect(Object.keys(completed?.res as object)).toEqual(['statusCode']);
  });
});
