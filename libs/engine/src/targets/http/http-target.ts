// A black-box prediction endpoint as the attacks see it (TargetModel). Every predict() goes through the
// protocol adapter and the guarded outbound client; identical rows are answered from a per-audit cache so they
// never spend the budget twice; every answer is validated (answer-rows.ts); spending is metered against the
// hard budget and recorded in the QueryLedger before each request is sent (query-meter.ts).

import { EngineError, EngineErrorCode } from '../../errors';
import { softmaxRows } from '../../math/softmax';
import type { ModelSignature, QueryUsage, TargetModel, TargetOutputs } from '../../types';
import { readAnswerRows } from './adapters/answer-rows';
import { jsonAdapter } from './adapters/json-adapter';
import { kserveV2Adapter } from './adapters/kserve-v2-adapter';
import { mlflowAdapter } from './adapters/mlflow-adapter';
import type { AdapterContext, ProtocolAdapter } from './adapters/protocol-adapter';
import { verifyEndpointOwnership } from './endpoint-ownership';
import { OutboundClient } from './outbound-client';
import type { OutboundPolicy } from './outbound-policy';
import { InMemoryQueryLedger, type QueryLedger } from './query-ledger';
import { QueryMeter } from './query-meter';
import type { RemoteTargetSpec } from './remote-target-spec';
import { tfServingAdapter } from './adapters/tf-serving-adapter';

export function createProtocolAdapter(ctx: AdapterContext): ProtocolAdapter {
  switch (ctx.spec.protocol) {
    case 'kserve-v2':
      return kserveV2Adapter(ctx);
    case 'tf-serving':
      return tfServingAdapter(ctx);
    case 'mlflow':
      return mlflowAdapter(ctx);
    case 'json':
      return jsonAdapter(ctx);
  }
}

/** The signature an endpoint is audited under: the data's width and the declared or observed class count. */
export function remoteSignature(spec: RemoteTargetSpec, nFeatures: number, numClasses: number): ModelSignature {
  return {
    inputName: spec.inputName ?? 'input',
    nFeatures,
    numClasses,
    outputName: 'output',
    outputKind: spec.output,
    opset: 0,
    producer: `http:${spec.protocol}`,
  };
}

export interface HttpTargetOptions {
  readonly spec: RemoteTargetSpec;
  readonly nFeatures: number;
  readonly numClasses: number;
  readonly featureNames: readonly string[];
  readonly policy: OutboundPolicy;
  readonly ledger?: QueryLedger;
  /** The proof token served at the well-known path (not needed for an allow-listed host). */
  readonly ownershipToken?: string;
  /** Class names in index order, for endpoints that answer labels by name. */
  readonly classNames?: readonly string[];
  /** Queries the audit plans to send (audit/query-plan.ts): refused before any request when over the budget. */
  readonly plannedQueries?: number;
}

/** The row's float32 bytes: rows that are bit-for-bit identical are the same query. */
function rowKey(features: Float32Array, row: number, nFeatures: number): string {
  return Buffer.from(features.buffer, features.byteOffset + row * nFeatures * 4, nFeatures * 4).toString('base64');
}

interface CachedAnswer {
  readonly values: Float32Array;
}

export class HttpTarget implements TargetModel {
  private readonly cache = new Map<string, CachedAnswer>();

  private constructor(
    readonly signature: ModelSignature,
    private readonly spec: RemoteTargetSpec,
    private readonly classNames: readonly string[] | undefined,
    private readonly adapter: ProtocolAdapter,
    private readonly client: OutboundClient,
    private readonly meter: QueryMeter,
    private readonly batchSize: number,
    private readonly concurrency: number,
  ) {}

  /**
   * Checks the destination (no request yet), opens the query meter from the ledger and proves ownership (one GET
   * of the well-known path, unless the host is allow-listed). Throws EngineError.
   */
  static async open(opts: HttpTargetOptions): Promise<HttpTarget> {
    const { spec, nFeatures, numClasses, policy } = opts;
    const adapter = createProtocolAdapter({ spec, nFeatures, numClasses, featureNames: opts.featureNames });
    const client = new OutboundClient(policy);
    try {
      client.checkUrl(adapter.url);
      const requested = spec.batchSize ?? adapter.defaultBatchSize;
      const batchSize = Math.max(1, Math.min(requested, adapter.maxBatchSize));
      const meter = await QueryMeter.open(
        policy.queryBudget,
        opts.ledger ?? new InMemoryQueryLedger(),
        adapter.url.host,
      );
      if (opts.plannedQueries !== undefined) meter.assertPlanFits(opts.plannedQueries, 'the audit');
      await verifyEndpointOwnership(adapter.url.href, opts.ownershipToken, policy, client);
      return new HttpTarget(
        remoteSignature(spec, nFeatures, numClasses),
        spec,
        opts.classNames ?? spec.classNames,
        adapter,
        client,
        meter,
        batchSize,
        policy.maxConcurrency,
      );
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Refuses (QUERY_BUDGET_EXCEEDED) a plan needing more queries than the budget leaves, before any query. */
  assertPlanFits(plannedQueries: number): void {
    this.meter.assertPlanFits(plannedQueries, 'the audit');
  }

  usage(): QueryUsage {
    return { queriesUsed: this.meter.queriesUsed, queryBudget: this.meter.budget, cacheHits: this.meter.hits };
  }

  /** Queries earlier runs of the same audit spent (from the ledger). */
  get spentBefore(): number {
    return this.meter.spentBefore;
  }

  /** Requests sent so far (retries included). */
  get requestsSent(): number {
    return this.client.requestsSent;
  }

  async predict(features: Float32Array, nRows: number): Promise<TargetOutputs> {
    const { nFeatures, numClasses, outputKind } = this.signature;
    if (!Number.isInteger(nRows) || nRows < 0 || features.length !== nRows * nFeatures) {
      throw new EngineError(
        EngineErrorCode.InvalidOption,
        `predict: ${features.length} feature values do not form ${nRows} rows of ${nFeatures} features`,
      );
    }
    // Rows not yet answered, each once (a repeat within the call is a cache hit too).
    const keys: string[] = [];
    const pending = new Map<string, number>();
    for (let r = 0; r < nRows; r++) {
      const key = rowKey(features, r, nFeatures);
      keys.push(key);
      if (!this.cache.has(key) && !pending.has(key)) pending.set(key, r);
    }
    this.meter.countCacheHits(nRows - pending.size);
    const rowsToAsk = [...pending.values()];
    const batches: number[][] = [];
    for (let i = 0; i < rowsToAsk.length; i += this.batchSize) batches.push(rowsToAsk.slice(i, i + this.batchSize));
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < batches.length) {
        const batch = batches[next++] as number[];
        try {
          await this.askBatch(features, batch, keys);
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, () => worker()));
    if (failure !== undefined) throw failure;

    const values = new Float32Array(nRows * numClasses);
    for (let r = 0; r < nRows; r++)
      values.set((this.cache.get(keys[r] as string) as CachedAnswer).values, r * numClasses);
    if (outputKind === 'logits') return { probabilities: softmaxRows(values, nRows, numClasses), logits: values };
    return { probabilities: values };
  }

  private async askBatch(features: Float32Array, rows: readonly number[], keys: readonly string[]): Promise<void> {
    const { nFeatures, numClasses, outputKind } = this.signature;
    const batch = new Float32Array(rows.length * nFeatures);
    rows.forEach((r, i) => batch.set(features.subarray(r * nFeatures, (r + 1) * nFeatures), i * nFeatures));
    const answer = await this.client.postJson(
      this.adapter.url,
      this.adapter.encode(batch, rows.length),
      this.spec.headers,
      rows.length,
      this.meter,
    );
    const host = this.adapter.url.host;
    const decoded = this.adapter.decode(answer, rows.length);
    if (typeof decoded === 'string') {
      throw new EngineError(
        EngineErrorCode.TargetFailed,
        `remote target ${host}: the ${this.spec.protocol} answer has the wrong shape: ${decoded}`,
      );
    }
    const values = new Float32Array(rows.length * numClasses);
    const problem = readAnswerRows(decoded, rows.length, numClasses, outputKind, this.classNames, values, 0);
    if (problem !== undefined) {
      throw new EngineError(
        EngineErrorCode.TargetFailed,
        `remote target ${host}: the ${this.spec.protocol} answer has the wrong shape: ${problem}`,
      );
    }
    rows.forEach((_, i) =>
      this.cache.set(keys[rows[i] as number] as string, { values: values.slice(i * numClasses, (i + 1) * numClasses) }),
    );
  }

  async dispose(): Promise<void> {
    await this.client.close();
  }
}
