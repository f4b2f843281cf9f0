/**
 * @jest-environment ./test/fixtures/onnxruntime-jest-environment.js
 */
// Membership audits of real local inference servers (one per protocol, serving an ONNX model through
// onnxruntime) give the same findings as auditing the ONNX file itself; misbehaving servers end the audit with
// TARGET_FAILED and its reason, within the budget (counted server-side); a budget below the plan is refused
// before any request.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineErrorCode } from '../../errors';
import { planAuditReferenceModels, trainAuditReferenceModel } from '../../audit/distributed-reference-models';
import { FileReferenceModelStore } from '../../training/reference-model-store';
import { runAudit, type AuditRequest } from '../../audit/run-audit';
import { membershipFindings } from '../../report/findings';
import type { AttackId, AuditReport } from '../../types';
import {
  fixtureTargetSpec,
  type InferenceServer,
  type InferenceServerOptions,
  startInferenceServer,
} from '../../../../../test/fixtures/inference-servers';
import { leakyTargetFixture } from '../../../../../test/fixtures/remote-audit-fixtures';
import type { RemoteProtocol } from './remote-target-spec';

jest.setTimeout(120_000);

const fixture = leakyTargetFixture();
const ATTACKS: AttackId[] = ['membership.loss', 'membership.confidence', 'membership.label-only'];
const LOCAL_HOST = ['127.0.0.1'];

const base = (): Omit<AuditRequest, 'model' | 'remoteTarget'> => ({
  members: { name: 'members.csv', data: fixture.members },
  nonMembers: { name: 'nonmembers.csv', data: fixture.nonMembers },
  labelColumn: 'label',
  idColumn: 'id',
  attacks: ATTACKS,
  seed: 5,
});

const servers: InferenceServer[] = [];
async function serve(
  options: Omit<InferenceServerOptions, 'model'> & { model?: Uint8Array },
): Promise<InferenceServer> {
  const server = await startInferenceServer({ model: fixture.model, ...options });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** What must agree between a local and a remote audit of the same model: every finding's metrics and exposed ids. */
function comparable(report: AuditReport): unknown {
  return membershipFindings(report.findings).map((f) => ({
    attack: f.attack,
    metrics: f.metrics,
    mostExposed: f.mostExposed,
    severity: f.severity,
  }));
}

describe('auditing a remote target through each protocol', () => {
  let local: AuditReport;
  beforeAll(async () => {
    local = await runAudit({ ...base(), model: fixture.model });
  });

  it.each<RemoteProtocol>(['kserve-v2', 'tf-serving', 'mlflow', 'json'])(
    '%s: the same findings as auditing the ONNX file; queries counted as the server counts them',
    async (protocol) => {
      const server = await serve({ protocol, output: 'logits', columns: ['f0', 'f1', 'f2', 'f3'] });
      const report = await runAudit({
        ...base(),
        remoteTarget: { ...fixtureTargetSpec(server, protocol), headers: {}, output: 'logits' },
        outbound: { allowHosts: LOCAL_HOST },
      });
      expect(comparable(report)).toEqual(comparable(local));
      expect(membershipFindings(report.findings)[0]?.metrics.auc).toBeGreaterThan(0.8); // the leak is seen
      expect(report.target.format).toBe('http');
      expect(report.target.endpoint).toMatchObject({ origin: server.url, protocol, outputKind: 'logits' });
      expect(report.target.sha256).toMatch(/^[0-9a-f]{64}$/);
      const queries = report.config.queries;
      expect(queries?.used).toBe(server.rowsReceived);
      expect(queries?.requests).toBe(server.predictRequests);
      // 120 audited rows once + 48 noisy copies of each for label-only.
      expect(queries?.planned).toBe(120 + 120 * 48);
      expect(queries?.used).toBeLessThanOrEqual(queries?.planned ?? 0);
      expect(queries?.budget).toBe(100_000);
    },
  );

  it('reference-model attacks (RMIA, offline LiRA, shadow) run against the endpoint as against the file', async () => {
    const server = await serve({ protocol: 'kserve-v2', output: 'logits' });
    const request = {
      ...base(),
      population: { name: 'population.csv', data: fixture.population },
      attacks: ['membership.rmia', 'membership.lira-offline', 'membership.shadow'] as AttackId[],
      referenceModels: 2,
      referenceHidden: [8],
      referenceTraining: { epochs: 20 },
    };
    const remote = await runAudit({
      ...request,
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits' },
      outbound: { allowHosts: LOCAL_HOST },
    });
    const localRefs = await runAudit({ ...request, model: fixture.model });
    expect(comparable(remote)).toEqual(comparable(localRefs));
    // RMIA asks the target about population points too: planned and spent.
    expect(remote.config.queries?.planned).toBe(120 + 60);
    expect(remote.config.queries?.used).toBe(server.rowsReceived);
  });

  it("the service's reference-model jobs plan and train for an endpoint; epochs auto measure its fit on the members", async () => {
    const server = await serve({ protocol: 'kserve-v2', output: 'logits' });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'privaudit-remote-refs-'));
    try {
      const request: AuditRequest = {
        ...base(),
        population: { name: 'population.csv', data: fixture.population },
        attacks: ['membership.rmia'],
        referenceModels: 1,
        referenceHidden: [8],
        remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits' },
        outbound: { allowHosts: LOCAL_HOST },
      };
      const plan = await planAuditReferenceModels(request);
      expect(plan.models).toHaveLength(1);
      expect(server.requests).toBe(0); // planning sends nothing
      const trained = await trainAuditReferenceModel(request, 'offline', 0, new FileReferenceModelStore(dir));
      expect(trained).toEqual({ outcome: 'trained', key: plan.models[0]?.key });
      expect(server.rowsReceived).toBe(60); // the members, to measure the target's fit
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('NULL: members and unseen rows fitted alike -> AUC near 0.5 through the endpoint too', async () => {
    const server = await serve({ protocol: 'kserve-v2', output: 'logits' });
    const report = await runAudit({
      ...base(),
      nonMembers: { name: 'unseen.csv', data: fixture.fittedUnseen },
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits' },
      outbound: { allowHosts: LOCAL_HOST },
    });
    expect(Math.abs((membershipFindings(report.findings)[0]?.metrics.auc ?? 0) - 0.5)).toBeLessThan(0.15);
  });

  it('a labels-only endpoint gets label-only by default, scored as the ONNX file under the labels policy', async () => {
    const server = await serve({ protocol: 'tf-serving', output: 'labels' });
    const { attacks: _attacks, ...noAttacks } = base();
    const remote = await runAudit({
      ...noAttacks,
      remoteTarget: { ...fixtureTargetSpec(server, 'tf-serving'), headers: {}, output: 'labels', numClasses: 3 },
      outbound: { allowHosts: LOCAL_HOST },
    });
    const localLabels = await runAudit({ ...noAttacks, model: fixture.model, outputPolicy: 'labels' });
    expect(remote.config.attacks).toEqual(['membership.label-only']);
    expect(comparable(remote)).toEqual(comparable(localLabels));
    expect(remote.target.outputKind).toBe('labels');
  });

  it('an endpoint answering probabilities is audited from them; auth headers are sent, never reported', async () => {
    const secret = 'Bearer s3cret-token-value';
    const server = await serve({
      protocol: 'mlflow',
      output: 'probabilities',
      requireHeaders: { authorization: secret },
    });
    const report = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: {
        ...fixtureTargetSpec(server, 'mlflow'),
        headers: { Authorization: secret },
        output: 'probabilities',
      },
      outbound: { allowHosts: LOCAL_HOST },
    });
    expect(membershipFindings(report.findings)[0]?.metrics.auc).toBeGreaterThan(0.8);
    expect(JSON.stringify(report)).not.toContain('s3cret');
    const unauthorised = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'mlflow'), headers: {}, output: 'probabilities' },
      outbound: { allowHosts: LOCAL_HOST },
    }).catch((e: unknown) => e);
    expect(unauthorised).toMatchObject({ code: EngineErrorCode.TargetFailed });
    expect((unauthorised as Error).message).toMatch(
      /127\.0\.0\.1:\d+: answered HTTP 401 \(check the authentication header/,
    );
  });
});

describe('the query budget', () => {
  it('a budget below the planned queries is refused before any request (the server saw none)', async () => {
    const server = await serve({ protocol: 'kserve-v2', output: 'logits' });
    const error = await runAudit({
      ...base(),
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits' },
      outbound: { allowHosts: LOCAL_HOST, queryBudget: 1000 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: EngineErrorCode.QueryBudgetExceeded });
    expect((error as Error).message).toMatch(/needs 5880 queries but the query budget leaves 1000/);
    expect(server.requests).toBe(0);
  });

  it('a resumed audit counts what earlier runs spent (the ledger) against the budget', async () => {
    const server = await serve({ protocol: 'kserve-v2', output: 'logits' });
    const recorded: number[] = [];
    const ledger = {
      spent: () => Promise.resolve(100),
      record: (n: number) => {
        recorded.push(n);
        return Promise.resolve();
      },
    };
    const report = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits' },
      outbound: { allowHosts: LOCAL_HOST, queryBudget: 220, ledger },
    });
    expect(report.config.queries).toMatchObject({ used: 120, spentBefore: 100, budget: 220 });
    expect(recorded.reduce((s, n) => s + n, 0)).toBe(120);
    const refused = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits' },
      outbound: { allowHosts: LOCAL_HOST, queryBudget: 219, ledger },
    }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/100 already spent by earlier runs/);
  });
});

describe('misbehaving endpoints end the audit with TARGET_FAILED, within the budget', () => {
  const fast = { allowHosts: LOCAL_HOST, headersTimeoutMs: 400, bodyTimeoutMs: 400, maxRetries: 1, queryBudget: 200 };
  const failing: Array<[InferenceServerOptions['misbehaviour'], RegExp]> = [
    ['slow', /no answer within 400 ms \(2 attempt\(s\)\)/],
    ['error-500', /answered HTTP 500 2 time\(s\) in a row/],
    ['rate-limited', /answered HTTP 429 2 time\(s\) in a row \(rate limited\)/],
    ['malformed-json', /the answer is not valid JSON/],
    ['wrong-shape', /wrong shape: output tensor holds 1 values for 60 rows of 3 classes/],
    ['redirect-private', /answered a redirect \(HTTP 302\); redirects are never followed/],
    ['endless-body', /exceeds the 1048576-byte response cap/],
  ];
  it.each(failing)('%s', async (misbehaviour, reason) => {
    const server = await serve({ protocol: 'kserve-v2', misbehaviour, delayMs: 3000, retryAfterSeconds: 0 });
    const error = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits', batchSize: 256 },
      outbound: { ...fast, maxResponseBytes: 1024 * 1024 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: EngineErrorCode.TargetFailed });
    expect((error as Error).message).toContain(`remote target 127.0.0.1:${new URL(server.url).port}`);
    expect((error as Error).message).toMatch(reason);
    expect(server.rowsReceived).toBeLessThanOrEqual(200);
  });

  it('429 with Retry-After is honoured, then the audit goes on', async () => {
    const server = await serve({
      protocol: 'kserve-v2',
      output: 'logits',
      misbehaviour: 'rate-limited',
      rateLimitFirst: 1,
      retryAfterSeconds: 1,
    });
    const started = Date.now();
    const report = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits', batchSize: 256 },
      outbound: { allowHosts: LOCAL_HOST, queryBudget: 240 },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // Members: refused once then answered; non-members answered. The refused attempt's rows were sent, so they count.
    expect(server.predictRequests).toBe(3);
    expect(report.config.queries).toMatchObject({ used: 180, requests: 3 });
    expect(server.rowsReceived).toBe(180);
  });

  it('the circuit opens after repeated failures and nothing more is sent', async () => {
    const server = await serve({ protocol: 'kserve-v2', misbehaviour: 'error-500' });
    const error = await runAudit({
      ...base(),
      attacks: ['membership.loss'],
      remoteTarget: { ...fixtureTargetSpec(server, 'kserve-v2'), headers: {}, output: 'logits', batchSize: 10 },
      outbound: { allowHosts: LOCAL_HOST, maxRetries: 10, circuitBreakerFailures: 3, maxConcurrency: 1 },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/circuit open after 3 consecutive failures \(last: HTTP 500\)/);
    expect(server.predictRequests).toBe(3);
  });
});
