// A local KServe / Open Inference Protocol v2 server for benches: node:http on 127.0.0.1 (port 0) answering
// POST /v2/models/<name>/infer with the probabilities of a TargetModel (the engine's OnnxTarget). The same protocol
// as test/fixtures/inference-servers.ts, kept here because benches build without test/. Reach it with
// allowHosts ['127.0.0.1'] (loopback is refused unless allow-listed).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TargetModel } from '../libs/engine/src/types';

export interface BenchKserveServer {
  readonly url: string;
  readonly modelName: string;
  readonly rowsReceived: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startBenchKserveServer(target: TargetModel, modelName = 'bench'): Promise<BenchKserveServer> {
  const counts = { rows: 0 };
  const sockets = new Set<Socket>();
  const path = `/v2/models/${modelName}/infer`;
  const server = createServer((req, res) => {
    void (async () => {
      const body = JSON.parse((await readBody(req)).toString('utf8')) as {
        inputs?: Array<{ shape?: number[]; datatype?: string; data?: number[] }>;
      };
      const input = body.inputs?.[0];
      const [n, d] = (input?.shape ?? []) as [number, number];
      if (req.method !== 'POST' || req.url !== path || !input?.data || input.data.length !== n * d) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"bad request"}');
        return;
      }
      counts.rows += n;
      const out = await target.predict(Float32Array.from(input.data), n);
      const c = target.signature.numClasses;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          model_name: modelName,
          outputs: [{ name: 'probabilities', shape: [n, c], datatype: 'FP32', data: Array.from(out.probabilities) }],
        }),
      );
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    modelName,
    get rowsReceived() {
      return counts.rows;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
