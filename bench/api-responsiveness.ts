// Does the api keep answering while it validates a large upload? Starts the built api (or another build's, with
// --api-entry, e.g. main's, to compare before / after), probes GET /health/live back to back while it is idle, while
// a large CSV dataset is uploaded and validated, and while a large ONNX model is uploaded and inspected, and prints
// the probe latencies (p50, p99, max) of each phase. Figures only: it asserts nothing.
//
//   npm run bench:api-responsiveness -- [--api-entry dist/apps/api/src/main.js] [--csv-mb 30] [--onnx-mb 150]
//
// Needs Postgres and Redis (DATABASE_URL, REDIS_URL; defaults: the local test instances). It works in a schema and
// a queue prefix of its own, dropped at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { Client } from 'pg';
import { request } from 'undici';
import { writeMlpOnnx } from '../libs/engine/src/onnx/mlp-onnx-writer';
import { benchDataDir } from './datasets';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** digits.csv repeated under fresh row ids until the file is about `mb` MB: valid, numeric, unique ids. */
async function bigCsv(path: string, mb: number): Promise<void> {
  const lines = readFileSync(join(benchDataDir(), 'digits.csv'), 'utf8').trim().split('\n');
  const header = lines[0] as string;
  const rows = lines.slice(1);
  const out = createWriteStream(path);
  out.write(`row_id,${header}\n`);
  let bytes = 0;
  for (let i = 0; bytes < mb * 1024 * 1024; i++) {
    const line = `r${i},${rows[i % rows.length]}\n`;
    bytes += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** An MLP 64 -> h -> h -> 10 whose float32 weights make the file about `mb` MB. */
function bigOnnx(mb: number): Uint8Array {
  // 64h + h^2 + 10h floats = mb MB: h^2 dominates.
  const h = Math.floor(Math.sqrt((mb * 1024 * 1024) / 4));
  const dense = (inputs: number, outputs: number) => ({
    inputs,
    outputs,
    weights: new Float32Array(inputs * outputs).fill(0.001),
    bias: new Float32Array(outputs),
  });
  return writeMlpOnnx({
    architecture: { nFeatures: 64, hidden: [h, h], numClasses: 10, activation: 'relu' },
    layers: [dense(64, h), dense(h, h), dense(h, 10)],
  });
}

interface Phase {
  readonly name: string;
  readonly latencies: number[];
  readonly durationMs: number;
  readonly status?: number;
}

/** Probes /health/live back to back: n times, or until `until` settles. */
async function probe(baseUrl: string, until: Promise<unknown> | number): Promise<number[]> {
  const latencies: number[] = [];
  let settled = false;
  if (typeof until !== 'number') void until.finally(() => (settled = true));
  const more = () => (typeof until === 'number' ? latencies.length < until : !settled);
  while (more()) {
    const t0 = performance.now();
    const res = await request(`${baseUrl}/health/live`);
    await res.body.dump();
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

async function upload(baseUrl: string, key: string, path: string, url: string, contentType: string) {
  const res = await request(`${baseUrl}${url}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': contentType, 'content-length': String(statSync(path).size) },
    body: createReadStream(path),
    headersTimeout: 600_000,
    bodyTimeout: 600_000,
  });
  const body = (await res.body.json()) as { id?: string; code?: string };
  return { status: res.statusCode, body };
}

async function main(): Promise<void> {
  const entry = resolve(arg('api-entry', join(__dirname, '../apps/api/src/main.js')));
  const csvMb = Number(arg('csv-mb', '30'));
  const onnxMb = Number(arg('onnx-mb', '150'));
  const id = randomBytes(4).toString('hex');
  const schema = `bench_api_${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'privaudit-bench-api-'));
  const adminKey = `admin-${randomBytes(24).toString('hex')}`;
  const csvPath = join(dir, 'big.csv');
  const onnxPath = join(dir, 'big.onnx');
  await bigCsv(csvPath, csvMb);
  const onnx = bigOnnx(onnxMb);
  const ws = createWriteStream(onnxPath);
  ws.end(Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength));
  await once(ws, 'finish');

  const api: ChildProcess = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      QUEUE_PREFIX: `bench-api-${id}`,
      STORAGE_DIR: join(dir, 'storage'),
      PORT: '0',
      PRIVAUDIT_BOOTSTRAP_ADMIN_KEY: adminKey,
      // Datasets are stored only encrypted (docs/security.md): a throw-away master key (older builds ignore it).
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      PRIVAUDIT_ALLOW_REDIS_WITHOUT_PERSISTENCE: 'true',
      THROTTLE_LIMIT: '10000000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((res, rej) => {
    let out = '';
    api.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on port (\d+)/.exec(out);
      if (m) res(m[1] as string);
    });
    api.once('exit', (code) => rej(new Error(`api exited with code ${code}`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const phases: Phase[] = [];
  try {
    await probe(baseUrl, 50); // warm-up
    let t0 = performance.now();
    phases.push({ name: 'idle', latencies: await probe(baseUrl, 500), durationMs: performance.now() - t0 });

    t0 = performance.now();
    const csv = upload(
      baseUrl,
      adminKey,
      csvPath,
      '/datasets?name=big&role=members&labelColumn=digit&idColumn=row_id',
      'text/csv',
    );
    const csvLatencies = await probe(baseUrl, csv);
    phases.push({
      name: `CSV upload ${csvMb} MB`,
      latencies: csvLatencies,
      durationMs: performance.now() - t0,
      status: (await csv).status,
    });

    const model = await request(`${baseUrl}/models`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big' }),
    });
    const modelId = ((await model.body.json()) as { id: string }).id;
    t0 = performance.now();
    const version = upload(baseUrl, adminKey, onnxPath, `/models/${modelId}/versions`, 'application/octet-stream');
    const onnxLatencies = await probe(baseUrl, version);
    phases.push({
      name: `ONNX upload ${onnxMb} MB`,
      latencies: onnxLatencies,
      durationMs: performance.now() - t0,
      status: (await version).status,
    });
  } finally {
    api.kill('SIGTERM');
    await once(api, 'exit').catch(() => undefined);
    const db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`api: ${entry}`);
  console.log('GET /health/live probed back to back (ms):');
  console.log('phase                      status  probes      p50      p99      max   phase s');
  for (const p of phases) {
    const s = [...p.latencies].sort((a, b) => a - b);
    console.log(
      `${p.name.padEnd(26)} ${String(p.status ?? '-').padStart(6)} ${String(s.length).padStart(7)} ${quantile(s, 0.5)
        .toFixed(1)
        .padStart(8)} ${quantile(s, 0.99).toFixed(1).padStart(8)} ${(s[s.length - 1] ?? NaN)
        .toFixed(1)
        .padStart(8)} ${(p.durationMs / 1000).toFixed(1).padStart(9)}`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
