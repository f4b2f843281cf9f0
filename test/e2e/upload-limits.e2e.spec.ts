// Uploads at the socket level, against the compiled api: a refused upload closes the connection instead of
// reading the whole body, and the request timeout (REQUEST_TIMEOUT_SECONDS, not Node's 300 s default) ends an
// upload that trickles too slowly. Raw sockets, because an HTTP client would hide both.
import { connect, type Socket } from 'node:net';
import request from 'supertest';
import { RunningService, startService } from './support/service-harness';

jest.setTimeout(120_000);

interface Exchange {
  response: string;
  closedAfterMs: number;
  bytesSent: number;
}

/** Sends headers declaring `declared` bytes, then `chunk` bytes every `everyMs` until the server answers or closes. */
function upload(
  url: string,
  path: string,
  key: string,
  declared: number,
  chunk: number,
  everyMs: number,
): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(Number(port), hostname);
    let response = '';
    let bytesSent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nx-api-key: ${key}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${declared}\r\n\r\n`,
      );
      const send = () => {
        if (socket.destroyed || bytesSent >= declared) return;
        socket.write(Buffer.alloc(Math.min(chunk, declared - bytesSent), 1));
        bytesSent += chunk;
        timer = setTimeout(send, everyMs);
      };
      send();
    });
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server closed: expected
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closedAfterMs: Date.now() - started, bytesSent });
    });
    setTimeout(() => socket.destroy(), 60_000); // bounded either way
  });
}

describe('upload limits at the socket', () => {
  let svc: RunningService;
  let modelId: string;
  beforeAll(async () => {
    svc = await startService('uploads', { worker: false, env: { REQUEST_TIMEOUT_SECONDS: '3' } });
    modelId = (
      await request(svc.baseUrl).post('/models').set('x-api-key', svc.adminKey).send({ name: 'm' }).expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('answers a refused upload (401, 404) and closes the connection instead of reading the whole body', async () => {
    for (const [key, path, status] of [
      ['wrong-key-'.repeat(4), `/models/${modelId}/versions`, 401],
      [svc.adminKey, '/models/00000000-0000-4000-8000-000000000000/versions', 404],
    ] as const) {
      // 50 MB declared, sent 64 KB every 20 ms: reading it all would take ~16 s.
      const exchange = await upload(svc.baseUrl, path, key, 50 * 1024 * 1024, 64 * 1024, 20);
      expect(exchange.response).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(exchange.response.toLowerCase()).toContain('connection: close');
      expect(exchange.closedAfterMs).toBeLessThan(8000);
      expect(exchange.bytesSent).toBeLessThan(50 * 1024 * 1024);
    }
  });

  it('ends an upload that takes longer than REQUEST_TIMEOUT_SECONDS', async () => {
    // 1 MB declared, 1 KB every 200 ms: 200 s at that pace. The 3 s request timeout ends it at Node's next check of
    // its connections (every 30 s), well before the 300 s default would.
    const exchange = await upload(svc.baseUrl, `/models/${modelId}/versions`, svc.adminKey, 1024 * 1024, 1024, 200);
    expect(exchange.closedAfterMs).toBeGreaterThan(2500);
    expect(exchange.closedAfterMs).toBeLessThan(40_000);
    expect(exchange.response === '' || /^HTTP\/1.1 (408|400) /.test(exchange.response)).toBe(true);
  });
});
