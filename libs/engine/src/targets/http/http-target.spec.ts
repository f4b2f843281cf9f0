/**
 * @jest-environment ./test/fixtures/onnxruntime-jest-environment.js
 */
// HttpTarget against a real local server: identical rows are answered from the cache (never spent twice), the
// ownership proof, spec parsing errors that name the field and never the value, labels answered by name.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineErrorCode } from '../../errors';
import { startInferenceServer, type InferenceServer } from '../../../../../test/fixtures/inference-servers';
import { leakyTargetFixture } from '../../../../../test/fixtures/remote-audit-fixtures';
import { checkOwnershipProof, verifyEndpointOwnership } from './endpoint-ownership';
import { HttpTarget } from './http-target';
import { OutboundClient } from './outbound-client';
import { ownershipChallengeId, resolveOutboundPolicy } from './outbound-policy';
import { parseRemoteTargetSpec, remoteTargetSha256 } from './remote-target-spec';

const fixture = leakyTargetFixture();
const allowLocal = resolveOutboundPolicy({ allowHosts: ['127.0.0.1'] });
const servers: InferenceServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('HttpTarget', () => {
  it('answers identical rows from the per-audit cache: the endpoint never sees a row twice', async () => {
    const server = await startInferenceServer({ protocol: 'kserve-v2', model: fixture.model, output: 'logits' });
    servers.push(server);
    const target = await HttpTarget.open({
      spec: parseRemoteTargetSpec(
        { url: server.url, protocol: 'kserve-v2', modelName: server.modelName, output: 'logits', batchSize: 4 },
        'test',
      ),
      nFeatures: 4,
      numClasses: 3,
      featureNames: ['f0', 'f1', 'f2', 'f3'],
      policy: allowLocal,
    });
    try {
      const rows = Float32Array.from([1, 2, 3, 4, 1, 2, 3, 4, 0.5, 0, 0, 1]); // row 2 repeats row 1
      const first = await target.predict(rows, 3);
      expect(server.rowsReceived).toBe(2);
      expect(target.usage()).toEqual({ queriesUsed: 2, queryBudget: 100_000, cacheHits: 1 });
      const again = await target.predict(rows, 3);
      expect(server.rowsReceived).toBe(2);
      expect(target.usage()).toEqual({ queriesUsed: 2, queryBudget: 100_000, cacheHits: 4 });
      expect(again.logits).toEqual(first.logits);
      expect(Array.from(first.logits?.subarray(0, 3) ?? [])).toEqual(Array.from(first.logits?.subarray(3, 6) ?? []));
      // Rows split into batches of at most 4.
      await target.predict(
        Float32Array.from({ length: 40 }, (_, i) => i / 7),
        10,
      );
      expect(server.predictRequests).toBe(1 + 3);
    } finally {
      await target.dispose();
    }
  });

  it('reads labels answered by class name when the classes are named', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ predictions: ['cat', 'dog'] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const target = await HttpTarget.open({
      spec: parseRemoteTargetSpec(
        { url: `http://127.0.0.1:${port}`, protocol: 'tf-serving', modelName: 'm', output: 'labels' },
        'test',
      ),
      nFeatures: 1,
      numClasses: 2,
      featureNames: ['x'],
      classNames: ['dog', 'cat'],
      policy: allowLocal,
    });
    try {
      const out = await target.predict(Float32Array.from([1, 2]), 2);
      expect(Array.from(out.probabilities)).toEqual([0, 1, 1, 0]);
    } finally {
      await target.dispose();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('ownership proof', () => {
  const token = 'proof-token-0123456789abcdef';
  it('passes when the origin serves the token at the well-known path, and fails otherwise, naming the path', async () => {
    const server = await startInferenceServer({ protocol: 'kserve-v2', ownershipToken: token });
    servers.push(server);
    const client = new OutboundClient({ ...allowLocal, maxRetries: 0 });
    try {
      await expect(checkOwnershipProof(`${server.url}/v2/models/m/infer`, token, client)).resolves.toBeUndefined();
      const wrong = 'another-token-0123456789';
      const error = await checkOwnershipProof(server.url, wrong, client).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: EngineErrorCode.TargetOwnershipUnproven });
      expect((error as Error).message).toContain(`/.well-known/privaudit-verification/${ownershipChallengeId(wrong)}`);
      expect((error as Error).message).not.toContain(wrong);
      await expect(checkOwnershipProof(server.url, undefined, client)).rejects.toThrow(/no ownership token was given/);
    } finally {
      await client.close();
    }
    expect(ownershipChallengeId(token)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a host that is not allow-listed needs the proof before any query; an allow-listed one does not', async () => {
    const policy = resolveOutboundPolicy({});
    await expect(verifyEndpointOwnership('https://8.8.8.8/v2/models/m/infer', undefined, policy)).rejects.toThrow(
      /ownership not proven: no ownership token was given; prove control of https:\/\/8\.8\.8\.8/,
    );
    await expect(verifyEndpointOwnership('http://127.0.0.1:1/', undefined, allowLocal)).resolves.toBeUndefined();
  });
});

describe('parseRemoteTargetSpec', () => {
  it('names the field, never its value', () => {
    const secret = 'Bearer do-not-print-me';
    const cases: Array<[unknown, RegExp]> = [
      [{ url: 'not a url', protocol: 'json' }, /field 'url': is not an absolute URL/],
      [{ url: 'https://a.example', protocol: 'grpc' }, /field 'protocol': must be one of kserve-v2, tf-serving/],
      [{ url: 'https://a.example', protocol: 'mlflow', headers: { 'Bad Name': secret } }, /field 'headers/],
      [
        { url: 'https://a.example', protocol: 'mlflow', headers: { Authorization: `${secret}\r\nX: y` } },
        /field 'headers.Authorization'/,
      ],
      [{ url: 'https://u:p@a.example', protocol: 'mlflow' }, /must not carry credentials/],
      [{ url: 'https://a.example', protocol: 'json' }, /field 'json': is required/],
      [
        { url: 'https://a.example', protocol: 'json', json: { requestTemplate: { x: 1 }, responsePath: 'p' } },
        /exactly one "\$rows" or "\$row"/,
      ],
      [{ url: 'https://a.example', protocol: 'mlflow', output: 'scores' }, /field 'output'/],
      [{ url: 'https://a.example', protocol: 'mlflow', extra: secret }, /unknown field\(s\) extra/],
    ];
    for (const [json, message] of cases) {
      let error: unknown;
      try {
        parseRemoteTargetSpec(json, 'request');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: EngineErrorCode.InvalidTargetSpec });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('do-not-print-me');
    }
  });

  it('hashes the spec without secrets: header values and the query string do not change target.sha256', () => {
    const a = parseRemoteTargetSpec(
      { url: 'https://a.example/infer?key=1', protocol: 'mlflow', headers: { Authorization: 'x' } },
      't',
    );
    const b = parseRemoteTargetSpec(
      { url: 'https://a.example/infer?key=2', protocol: 'mlflow', headers: { authorization: 'y' } },
      't',
    );
    const c = parseRemoteTargetSpec({ url: 'https://a.example/infer', protocol: 'mlflow', output: 'labels' }, 't');
    expect(remoteTargetSha256(a)).toBe(remoteTargetSha256(b));
    expect(remoteTargetSha256(a)).not.toBe(remoteTargetSha256(c));
  });
});

describe('OutboundClient resolves once and connects to the address it checked (no DNS rebinding)', () => {
  it('refuses a name that resolves to loopback at connect time, before a byte is sent', async () => {
    const server = await startInferenceServer({ protocol: 'kserve-v2', model: fixture.model, output: 'logits' });
    servers.push(server);
    const port = new URL(server.url).port;
    let lookups = 0;
    // A name that would pass a check made earlier and now resolves to 127.0.0.1.
    const client = new OutboundClient({ ...resolveOutboundPolicy({}), maxRetries: 0 }, (_host, cb) => {
      lookups += 1;
      cb(null, [{ address: '127.0.0.1', family: 4 }]);
    });
    try {
      const error = await client.getText(new URL(`https://rebind.example:${port}/`), 1024).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: EngineErrorCode.TargetDestinationRefused });
      expect((error as Error).message).toMatch(/rebind\.example:\d+: refused: it resolves to a loopback address/);
      expect(lookups).toBe(1);
      expect(server.requests).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('connects to the address its own lookup returned (an allow-listed name pinned to the local server)', async () => {
    const server = await startInferenceServer({ protocol: 'kserve-v2', ownershipToken: 'pinned-token-0123456789' });
    servers.push(server);
    const port = new URL(server.url).port;
    const client = new OutboundClient(resolveOutboundPolicy({ allowHosts: ['pinned.example'] }), (_host, cb) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }]),
    );
    try {
      await expect(
        checkOwnershipProof(`http://pinned.example:${port}/`, 'pinned-token-0123456789', client),
      ).resolves.toBeUndefined();
      expect(server.requests).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('the generic JSON adapter', () => {
  it('sends one row per request with a "$row" template and reads the answer at the response path', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { features: number[] };
        bodies.push(body);
        const s = body.features.reduce((a, b) => a + b, 0);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ out: { probs: [s > 0 ? 0.9 : 0.1, s > 0 ? 0.1 : 0.9] } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const target = await HttpTarget.open({
      spec: parseRemoteTargetSpec(
        {
          url: `http://127.0.0.1:${port}/score`,
          protocol: 'json',
          json: { requestTemplate: { features: '$row', v: 2 }, responsePath: 'out.probs' },
        },
        'test',
      ),
      nFeatures: 2,
      numClasses: 2,
      featureNames: ['a', 'b'],
      policy: allowLocal,
    });
    try {
      const out = await target.predict(Float32Array.from([1, 2, -3, -4, 0.5, 0.25]), 3);
      expect(bodies).toHaveLength(3);
      expect(bodies).toContainEqual({ features: [1, 2], v: 2 });
      expect(Array.from(out.probabilities).map((p) => Math.round(p * 10) / 10)).toEqual([0.9, 0.1, 0.1, 0.9, 0.9, 0.1]);
    } finally {
      await target.dispose();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
