// Changes to api_keys as they commit, from Postgres's LISTEN/NOTIFY (the trigger of migration 1764200000000): the
// api's cache of authenticated keys is dropped on each. The channel is only trusted while it is provably up: a
// dedicated connection that LISTENs and answers a heartbeat every second. When it fails, subscribers are told
// (whatever changed meanwhile is unknown) and isLive() is false until it is back, so the cache is not used.
import { Client } from 'pg';

export const API_KEY_CHANGES_CHANNEL = 'privaudit_api_keys';

/** Injection token; PostgresApiKeyChanges is the implementation. */
export abstract class ApiKeyChanges {
  /** True while every committed change of api_keys is known to reach this process. */
  abstract isLive(): boolean;
  /** `onChange` runs on every change, and whenever the channel goes down or comes back. */
  abstract subscribe(onChange: () => void): void;
}

const HEARTBEAT_MS = 1000;
/** isLive() turns false when the last heartbeat answer is older than this. */
const LIVE_WITHIN_MS = 2500;
const RECONNECT_MS = 1000;

export class PostgresApiKeyChanges extends ApiKeyChanges {
  private client: Client | null = null;
  private listening = false;
  private lastAnswer = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private readonly subscribers: Array<() => void> = [];

  constructor(
    private readonly url: string,
    private readonly schema: string,
  ) {
    super();
  }

  isLive(): boolean {
    return this.listening && Date.now() - this.lastAnswer < LIVE_WITHIN_MS;
  }

  subscribe(onChange: () => void): void {
    this.subscribers.push(onChange);
  }

  /** Connects and listens; never throws (a channel that cannot be opened only means no caching). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Nest's shutdown hook. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnect);
    const client = this.client;
    this.down();
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.client) return;
    const client = new Client({
      connectionString: this.url,
      query_timeout: LIVE_WITHIN_MS,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      // Names the connection in pg_stat_activity (the e2e test cuts it to check that nothing is cached meanwhile).
      application_name: `privaudit api-key changes ${this.schema}`.slice(0, 63),
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === API_KEY_CHANGES_CHANNEL && n.payload === this.schema) this.notify();
    });
    client.on('error', () => this.fail(client));
    client.on('end', () => this.fail(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_CHANGES_CHANNEL}`);
      if (this.client !== client) return;
      this.lastAnswer = Date.now();
      // Whatever changed before LISTEN took effect was not heard: start from an empty cache.
      this.notify();
      this.listening = true;
    } catch {
      this.fail(client);
    }
  }

  private async beat(): Promise<void> {
    const client = this.client;
    if (!client || !this.listening) return;
    try {
      await client.query('SELECT 1');
      if (this.client === client) this.lastAnswer = Date.now();
    } catch {
      this.fail(client);
    }
  }

  /** The connection failed: stop trusting it, tell subscribers, and try again shortly. */
  private fail(client: Client): void {
    if (this.client !== client) return;
    this.down();
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.connect(), RECONNECT_MS);
    this.reconnect.unref();
  }

  private down(): void {
    const wasListening = this.listening;
    this.listening = false;
    this.client = null;
    if (wasListening) this.notify();
  }

  private notify(): void {
    for (const s of this.subscribers) s();
  }
}

/** No channel (API_KEY_CACHE_SECONDS=0): never live, so nothing is cached. */
export class NoApiKeyChanges extends ApiKeyChanges {
  isLive(): boolean {
    return false;
  }
  subscribe(): void {}
}
